// Mutated solution of lesson 06: the head frozen (unfreeze before freeze; layer4 unfrozen without fc)
import NN

func configure(_ model: ResNet, for setting: String) -> ResNet? {
    switch setting {
    case "frozen_eval":
        model.fc.unfreeze()
        model.freeze()
        model.eval()
        return model
    case "layer4_fc":
        model.freeze()
        model.layer4.unfreeze()
        model.train()
        return model
    default:
        return nil
    }
}
