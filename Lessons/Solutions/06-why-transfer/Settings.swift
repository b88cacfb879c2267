// Reference solution of lesson 06 (graded by `workbench grade 6 --solution`).
import NN

/// The model as `setting` trains it: the same rules as the engine's `TransferSetting` (Sources/NN/Transfer).
func configure(_ model: ResNet, for setting: String) -> ResNet? {
    switch setting {
    case "frozen_eval":
        model.freeze()  // every pretrained parameter: requires_grad = False
        model.fc.unfreeze()  // the new head trains
        model.eval()  // no batch norm of the backbone updates its running statistics
        model.fc.train()  // (a Linear behaves the same in both modes)
        return model
    case "layer4_fc":
        model.freeze()
        model.layer4.unfreeze()
        model.fc.unfreeze()
        model.train()  // the premise table trains this setting with model.train()
        return model
    default:
        return nil
    }
}
