// Mutated solution of lesson 06: the post's feature extractor: backbone frozen but left in train mode
import NN

func configure(_ model: ResNet, for setting: String) -> ResNet? {
    switch setting {
    case "frozen_eval":
        model.freeze()
        model.fc.unfreeze()
        model.train()
        return model
    case "layer4_fc":
        model.freeze()
        model.layer4.unfreeze()
        model.fc.unfreeze()
        model.train()
        return model
    default:
        return nil
    }
}
