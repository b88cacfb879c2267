// Mutated solution of lesson 06: layer4 fine-tuned in eval mode
import NN

func configure(_ model: ResNet, for setting: String) -> ResNet? {
    switch setting {
    case "frozen_eval":
        model.freeze()
        model.fc.unfreeze()
        model.eval()
        model.fc.train()
        return model
    case "layer4_fc":
        model.freeze()
        model.layer4.unfreeze()
        model.fc.unfreeze()
        model.train()
        model.layer4.eval()
        return model
    default:
        return nil
    }
}
