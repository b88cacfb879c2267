// Mutated solution of lesson 06: nothing frozen; layer4_fc with the whole model in eval mode
import NN

func configure(_ model: ResNet, for setting: String) -> ResNet? {
    switch setting {
    case "frozen_eval":
        model.fc.unfreeze()
        model.eval()
        return model
    case "layer4_fc":
        model.unfreeze()
        model.eval()
        model.fc.train()
        return model
    default:
        return nil
    }
}
