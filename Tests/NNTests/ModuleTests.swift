import NN
import Tensors
import Testing

@Suite("Module system")
struct ModuleTests {
    @Test("resnet18 has torchvision's 11,689,512 parameters and its state-dict keys in order")
    func resnet18Keys() {
        let model = resnet18()
        #expect(model.parameterCount() == 11_689_512)
        let keys = model.stateDict().map(\.key)
        #expect(keys.count == 122)
        #expect(
            Array(keys.prefix(7)) == [
                "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight",
            ])
        #expect(keys.contains("layer2.0.downsample.0.weight"))
        #expect(keys.contains("layer4.1.bn2.num_batches_tracked"))
        #expect(Array(keys.suffix(2)) == ["fc.weight", "fc.bias"])
        #expect(model.bufferDTypes()["bn1.num_batches_tracked"] == .int64)
    }

    @Test("resnet34 and resnet50 parameter counts match torchvision")
    func otherCounts() {
        #expect(resnet34(baseChannels: 8).parameterCount() > 0)
        #expect(resnet34().parameterCount() == 21_797_672)
        #expect(resnet50().parameterCount() == 25_557_032)
    }

    @Test("freezing the backbone and replacing fc leaves only the new head trainable")
    func freezeAndReplaceHead() {
        let model = resnet18(baseChannels: 4)
        model.freeze()
        #expect(model.parameterCount(trainableOnly: true) == 0)
        model.fc = Linear(inFeatures: model.numFeatures, outFeatures: 2)
        #expect(model.parameterCount(trainableOnly: true) == model.numFeatures * 2 + 2)
        #expect(model.stateDict().map(\.key).suffix(2) == ["fc.weight", "fc.bias"])
        #expect(model.layer4 === model.child("layer4") && model.conv1 === model.child("conv1"))
        #expect(model.fc === model.child("fc") && model.fc.outFeatures == 2)
        model.layer4.unfreeze()
        let trainable = model.namedParameters().filter { $0.1.requiresGrad }.map(\.0)
        #expect(trainable.allSatisfy { $0.hasPrefix("layer4.") || $0.hasPrefix("fc.") })
        #expect(model.summary().contains("Total params"))
    }

    @Test("typed children are the registered ones, in torchvision's order; zeroInitResidual zeroes bn2 or bn3")
    func typedChildren() {
        let model = resnet50(numClasses: 3, zeroInitResidual: true, baseChannels: 2)
        #expect(
            model.namedChildren.map(\.0) == [
                "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3",
                "layer4", "avgpool", "fc",
            ])
        let typed: [Module] = [
            model.conv1, model.bn1, model.relu, model.maxpool, model.layer1, model.layer2,
            model.layer3, model.layer4, model.avgpool, model.fc,
        ]
        #expect(model.children.count == typed.count && zip(model.children, typed).allSatisfy { $0 === $1 })
        #expect(model.numFeatures == 2 * 8 * Bottleneck.expansion && model.fc.inFeatures == model.numFeatures)
        let bottleneck = model.layer2[0] as? Bottleneck
        #expect(
            bottleneck?.namedChildren.map(\.0) == [
                "conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "relu",
                "downsample",
            ])
        #expect(bottleneck?.downsample != nil && bottleneck?.downsample === bottleneck?.child("downsample"))
        #expect((model.layer2[1] as? Bottleneck)?.downsample == nil)

        let basic = resnet18(numClasses: 3, zeroInitResidual: true, baseChannels: 2)
        #expect(basic.numFeatures == 2 * 8 && basic.fc.inFeatures == basic.numFeatures)
        let first = basic.layer1[0] as? BasicBlock
        #expect(first?.namedChildren.map(\.0) == ["conv1", "bn1", "relu", "conv2", "bn2"] && first?.downsample == nil)
        #expect((basic.layer2[0] as? BasicBlock)?.namedChildren.last?.0 == "downsample")
        for (network, last) in [(model, ".bn3"), (basic, ".bn2")] {
            for (name, module) in network.namedModules() {
                guard let bn = module as? BatchNorm2d, let weight = bn.weight?.toArray() else { continue }
                let zeroed = name.hasSuffix(last) && !name.contains("downsample")
                #expect(weight.allSatisfy { $0 == (zeroed ? 0 : 1) }, "\(name)")
            }
        }
    }

    @Test("loadStateDict reports every missing, unexpected and mis-shaped key at once and copies nothing")
    func loadStateDictErrors() throws {
        let model = resnet18(numClasses: 3, baseChannels: 4)
        var entries = resnet18(numClasses: 7, baseChannels: 4).stateDict().map { ($0.key, $0.value.copy()) }
        entries.removeAll { $0.0 == "bn1.running_mean" }
        entries.append(("extra.weight", Tensor.zeros([1])))
        let before = model.stateDict().first!.value.toArray()
        #expect {
            try model.loadStateDict(entries.map { (key: $0.0, value: $0.1) })
        } throws: { error in
            let text = "\(error)"
            return text.contains("Missing key(s) in state_dict: \"bn1.running_mean\"")
                && text.contains("Unexpected key(s) in state_dict: \"extra.weight\"")
                && text.contains("size mismatch for fc.weight: copying a param with shape [7, 32]")
                && text.contains("size mismatch for fc.bias")
        }
        #expect(model.stateDict().first!.value.toArray() == before)
        let lenient = entries.filter { !$0.0.hasPrefix("fc.") }.map { (key: $0.0, value: $0.1) }
        let result = try model.loadStateDict(lenient, strict: false)
        #expect(result.missingKeys == ["bn1.running_mean", "fc.weight", "fc.bias"])
        #expect(result.unexpectedKeys == ["extra.weight"])
        #expect(model.stateDict().first!.value.toArray() == entries.first!.1.toArray())
    }

    @Test("batch norm running statistics move in train mode even when frozen, and stop in eval mode")
    func frozenBatchNormStillUpdates() {
        let bn = BatchNorm2d(numFeatures: 2)
        bn.freeze()
        let x = Tensor(shape: [2, 2, 1, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        _ = bn(x)
        #expect(bn.numBatchesTracked == 1)
        #expect(bn.runningMean!.toArray() != [0, 0])
        let mean = bn.runningMean!.toArray()
        bn.eval()
        _ = bn(x)
        #expect(bn.runningMean!.toArray() == mean)
        #expect(bn.numBatchesTracked == 1)
    }

    @Test("forward recorder sees every submodule in completion order, relu twice per block")
    func forwardOrder() {
        let model = resnet18(numClasses: 2, baseChannels: 2)
        let recorder = ForwardRecorder(root: model)
        _ = noGrad { recorder.recording { model(Tensor.ones([2, 3, 32, 32])) } }
        let names = recorder.outputs.map(\.name)
        #expect(
            Array(names.prefix(8)) == [
                "conv1", "bn1", "relu", "maxpool", "layer1.0.conv1", "layer1.0.bn1",
                "layer1.0.relu", "layer1.0.conv2",
            ])
        #expect(names.filter { $0 == "layer1.0.relu" }.count == 2)
        #expect(Array(names.suffix(3)) == ["layer4", "avgpool", "fc"])
    }

    @Test("dropout is seeded, scales kept values, and is the identity in eval mode")
    func dropoutBehaviour() {
        let x = Tensor.ones([1000])
        let layer = Dropout(p: 0.25, seed: 7)
        let y = layer(x).toArray()
        #expect(Set(y).isSubset(of: [0, Float(1) / 0.75]))
        let kept = y.filter { $0 != 0 }.count
        #expect((700...800).contains(kept))
        #expect(Dropout(p: 0.25, seed: 7)(x).toArray() == y)
        layer.eval()
        #expect(layer(x).toArray() == x.toArray())
    }
}

@Suite("Losses")
struct LossModuleTests {
    @Test("CrossEntropyLoss applies its options like the functional form")
    func crossEntropyLossModule() {
        let logits = Tensor(shape: [2, 3], values: [1, 2, 3, 0, -1, 4])
        let criterion = CrossEntropyLoss(reduction: .sum, labelSmoothing: 0.1)
        let expected = crossEntropy(logits, target: [2, 0], reduction: .sum, labelSmoothing: 0.1)
        #expect(criterion(logits, [2, 0]).item() == expected.item())
    }
}

@Suite("Shared modules")
struct SharedModuleTests {
    @Test("a module registered twice is one set of parameters, as named_modules(remove_duplicate=True) sees it")
    func sharedModule() {
        let shared = Linear(inFeatures: 3, outFeatures: 3)
        let model = Sequential(shared, ReLU(), shared)
        #expect(model.namedModules().count == 3)
        #expect(model.parameters().count == 2)
        #expect(model.parameterCount() == 12)
        #expect(model.stateDict().map(\.key) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    }
}
