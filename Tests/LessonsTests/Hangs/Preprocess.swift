// An exercise whose predict never returns: the grader must stop it at the check's time limit.
import Foundation
import NN
import Tensors
import Vision

func makePreprocessing() -> Compose? {
    Compose([ToTensor(), Normalize(mean: [0.3057, 0.3057, 0.3057], std: [0.327, 0.327, 0.327])])
}

func predict(_ model: ResNet, _ batch: Tensor) -> Tensor? {
    while batch.count > 0 { Thread.sleep(forTimeInterval: 1) }
    return nil
}
