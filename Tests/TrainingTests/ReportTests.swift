import Foundation
import Images
import Testing
import Training

/// The HTML report and the text that shows names: escaping everywhere, self-containment, charts and thumbnails.
@Suite("Evaluation report: HTML, charts, thumbnails, terminal text")
struct ReportTests {
    static let hostile = "<script>alert(1)</script>"
    static let quoting = "a\" onmouseover=\"alert(2)"
    static let entity = "R&amp;D"

    /// An evaluation of three classes with hostile names, two epochs of curves, no image files.
    static func evaluation() -> Evaluation {
        let classes = [hostile, quoting, entity]
        let predictions = [(0, 0), (0, 1), (1, 1), (2, 0), (2, 2)].enumerated().map { index, pair in
            SamplePrediction(
                path: "/data/\(classes[pair.0])/img\(index)'.png", target: pair.0, prediction: pair.1,
                loss: Double(index) / 4, probability: 0.5, targetProbability: 0.25)
        }
        return Evaluation(
            source: .init(
                checkpoint: "/runs/x/best.safetensors", run: "/runs/x", architecture: "resnet18", baseChannels: 4,
                data: "/data", preprocessing: .imageNet.resized(to: 32)),
            classes: classes, predictions: predictions, worstCount: 3)
    }

    static let manifest = RunManifest(
        model: .init(architecture: "resnet18", baseChannels: 4, weights: "embedded"),
        classes: [hostile, quoting, entity],
        preprocessing: .imageNet.resized(to: 32),
        options: TrainingOptions(
            data: "/data", strategy: "fine-tune", epochs: 2, batchSize: 4, lr: 0.01, momentum: 0.9, weightDecay: 0,
            optimizer: "sgd", schedule: "none", augment: false, seed: 0),
        epochs: [
            .init(
                epoch: 1, trainLoss: 1.5, trainAccuracy: 0.3, validationLoss: 1.2, validationAccuracy: 0.4,
                learningRates: [0.01], seconds: 1, imagesPerSecond: 10),
            .init(
                epoch: 2, trainLoss: 0.9, trainAccuracy: 0.6, validationLoss: 1.0, validationAccuracy: 0.6,
                learningRates: [0.01], seconds: 1, imagesPerSecond: 10),
        ], best: 2, status: .completed)

    @Test("HTML escapes text and attribute values alike; only source literals pass unescaped")
    func escaping() {
        #expect(
            HTML.escape("<a href=\"x\">'&amp;'</a>") == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;amp;&#x27;&lt;/a&gt;")
        let node = HTML.tag("div", [("title", Self.quoting)], text: Self.hostile)
        #expect(
            node.render()
                == "<div title=\"a&quot; onmouseover=&quot;alert(2)\">&lt;script&gt;alert(1)&lt;/script&gt;</div>")
        #expect(HTML.tag("img", [("src", "x")]).render() == "<img src=\"x\">")
    }

    @Test("the report: every hostile name appears as text only, nothing is fetched, curves have a point per epoch")
    func reportIsSafeAndSelfContained() throws {
        let pixel =
            "data:image/png;base64,"
            + Data(try PNG.encode(try Image(width: 1, height: 1, channels: 3, bitDepth: 8, samples: [1, 2, 3])))
            .base64EncodedString()
        let page = EvaluationReport(evaluation: Self.evaluation(), manifest: Self.manifest) { _ in .success(pixel) }
            .html()
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(!page.contains(Self.hostile) && !page.contains("<script"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.contains(Self.quoting) && page.contains("a&quot; onmouseover=&quot;alert(2)"))
        #expect(page.contains("R&amp;amp;D"), "a name shaped like an entity must show as typed")
        #expect(page.contains("img4&#x27;.png"))
        // A thumbnail names its class folder too: ImageFolder file names repeat between classes.
        #expect(page.contains(">R&amp;amp;D/img4&#x27;.png</div>"))
        // Self-contained: no external resource of any kind (the SVG namespace is a name, not a fetch).
        let withoutNamespace = page.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        for reference in ["http:", "https:", "src=\"/", "<link", "@import", "url("] {
            #expect(!withoutNamespace.contains(reference), "the report refers to \(reference)")
        }
        #expect(page.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 3)
        #expect(page.components(separatedBy: "<polyline").count - 1 == 4)  // train and validation, loss and accuracy
        #expect(page.components(separatedBy: "<circle").count - 1 == 8)
        #expect(page.contains("class=\"confusion\""))
        let bare = EvaluationReport(evaluation: Self.evaluation(), manifest: nil) { _ in
            .failure(CocoaError(.fileNoSuchFile))
        }.html()
        #expect(bare.contains("a bare checkpoint has no run.json") && bare.contains("cannot show:"))
    }

    @Test("JSON keeps names exact and escaped by JSON's rules")
    func json() throws {
        let data = try Self.evaluation().encoded()
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["classes"] as? [String] == [Self.hostile, Self.quoting, Self.entity])
        #expect(String(decoding: data, as: UTF8.self).contains(#"a\" onmouseover=\"alert(2)"#))
    }

    @Test("terminal text: control and bidi characters are shown as escapes, the rest unchanged")
    func terminal() {
        #expect(
            TerminalText.escaped("cat\u{1B}[31m\u{7}\n\u{202E}gnp.exe") == "cat\\u{1B}[31m\\u{7}\\n\\u{202E}gnp.exe")
        #expect(TerminalText.escaped("Ünïcödé 猫 <ok>") == "Ünïcödé 猫 <ok>")
        #expect(TerminalText.padded("a\tb", to: 6) == "a\\tb  ")
        var evaluation = Self.evaluation()
        evaluation.classes[0] = "bad\u{1B}]0;title\u{7}"
        evaluation.perClass[0].name = evaluation.classes[0]
        let text = evaluation.text()
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x7 })
        #expect(text.contains("bad\\u{1B}]0;title\\u{7}"))
    }

    @Test("thumbnails: scaled so the longer side fits, 8-bit RGB, a PNG that decodes back")
    func thumbnails() throws {
        let samples = (0..<(300 * 200 * 3)).map { UInt16($0 % 256) }
        let image = try Image(width: 300, height: 200, channels: 3, bitDepth: 8, samples: samples)
        let small = try Thumbnail.scaled(image, maxSide: 96)
        #expect(small.width == 96 && small.height == 64 && small.channels == 3 && small.bitDepth == 8)
        let tiny = try Image(width: 2, height: 1, channels: 3, bitDepth: 8, samples: [0, 128, 255, 10, 20, 30])
        #expect(try Thumbnail.scaled(tiny, maxSide: 96) == tiny)
        let path = NSTemporaryDirectory() + "thumbnail-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PNG.write(image, to: path)
        let uri = try Thumbnail.dataURI(path: path, maxSide: 50)
        let bytes = [UInt8](Data(base64Encoded: String(uri.dropFirst("data:image/png;base64,".count)))!)
        let decoded = try PNG.decode(bytes, name: uri)
        #expect(decoded.width == 50 && decoded.height == 33)
        #expect(throws: (any Error).self) { try Thumbnail.dataURI(path: "/nonexistent.png") }
    }

    @Test("charts: round tick labels from 0 to the top, a marker on the best epoch, and a single epoch still draws")
    func charts() {
        let accuracy = LineChart(
            title: "Accuracy", series: [.init(label: "train", cssClass: "train", values: [0.3, 0.7, 0.9])],
            yRange: 0...1, markedEpoch: 2
        ).html.render()
        for tick in ["0", "0.2", "0.4", "0.6", "0.8", "1"] {
            #expect(accuracy.contains("class=\"tick-y\">\(tick)</text>"), "no tick \(tick)")
        }
        #expect(accuracy.contains("class=\"marker\"") && accuracy.contains(">best</text>"))
        let loss = LineChart(title: "Loss", series: [.init(label: "train", cssClass: "train", values: [0.37])]).html
            .render()
        #expect(loss.contains("class=\"tick-y\">0.5</text>"), "the axis should end at 0.5 above 0.37")
        #expect(loss.contains("<circle") && loss.contains("<title>train, epoch 1: 0.37</title>"))
    }

    @Test("top-k: largest first, ties in class order, k capped by the count")
    func topK() {
        let top = ImagePrediction.topK([0.1, 0.4, 0.1, 0.4], k: 3)
        #expect(top.map(\.index) == [1, 3, 0])
        #expect(ImagePrediction.topK([0.5, 0.5], k: 5).count == 2)
    }
}
