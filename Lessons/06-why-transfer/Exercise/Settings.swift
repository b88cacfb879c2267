// Lesson 06 exercise: the freezing and mode rules of two transfer settings, for a ResNet whose fc was just replaced.
// Edit this file, then run `swift run -c release workbench grade 6`. `workbench hint 6` gives a hint;
// `workbench reset 6` restores this file as it was.
import NN

/// Puts `model` (pretrained weights loaded, a new `fc` already in place, every parameter trainable and every module
/// in train mode, as a freshly built model is) into the state in which `setting` trains it for an epoch: which
/// parameters require gradients, and which modules are in train or eval mode. Returns the model, or nil for a
/// setting it does not know.
///
/// - "frozen_eval": feature extraction with the backbone in eval mode - only the new head trains, and no batch
///   norm of the pretrained backbone moves its running statistics.
/// - "layer4_fc": the last stage `layer4` fine-tuned together with the new head, the rest frozen, the whole model
///   in train mode as the premise table trained it.
///
/// Useful: `freeze()`, `unfreeze()`, `train()`, `eval()` on any module (each applies to the module and everything
/// below it), `model.layer4`, `model.fc`.
func configure(_ model: ResNet, for setting: String) -> ResNet? {
    switch setting {
    case "frozen_eval":
        // TODO: freeze what feature extraction freezes, keep the new head trainable, and set the modes.
        return nil
    case "layer4_fc":
        // TODO: freeze everything except layer4 and the new head, and set the modes.
        return nil
    default:
        return nil
    }
}
