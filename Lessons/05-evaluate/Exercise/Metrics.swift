// Lesson 05 exercise: precision, recall and F1 per class from a confusion matrix, as scikit-learn computes them.
// Edit this file, then run `swift run -c release workbench grade 5`. `workbench hint 5` gives a hint;
// `workbench reset 5` restores this file as it was.

// `confusion[t][p]` counts the samples of TRUE class `t` that were PREDICTED as class `p`
// (sklearn's `confusion_matrix(y_true, y_pred)`: rows are true classes, columns predicted ones).

/// Per class `c`: of the samples predicted as `c`, the fraction that really are `c`
/// (`precision_score(..., average=None, zero_division=0)`). A class that is never predicted has precision 0.
func precisionPerClass(_ confusion: [[Int]]) -> [Double]? {
    // TODO: one value per class.
    return nil
}

/// Per class `c`: of the samples that really are `c`, the fraction predicted as `c`
/// (`recall_score(..., average=None, zero_division=0)`). A class with no samples has recall 0.
func recallPerClass(_ confusion: [[Int]]) -> [Double]? {
    // TODO: one value per class.
    return nil
}

/// Per class: F1, the harmonic mean of its precision and recall (`f1_score(..., average=None, zero_division=0)`);
/// 0 when precision and recall are both 0.
func f1PerClass(precision: [Double], recall: [Double]) -> [Double]? {
    // TODO: one value per class.
    return nil
}
