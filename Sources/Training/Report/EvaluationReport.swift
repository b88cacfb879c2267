import Foundation

/// The self-contained HTML report `workbench evaluate` writes (`RUN_DIR/report.html`): the scores, the training
/// curves of the run (loss and accuracy per epoch, from run.json), the confusion matrix as a heat map and the
/// highest-loss images as thumbnails. Everything is inline - CSS in a `<style>`, charts as SVG, images as
/// `data:` URIs (thumbnails at most 120 pixels a side, the size they are shown at) - so it opens in a browser with
/// no network and no other file; every name is escaped (``HTML``).
public struct EvaluationReport {
    public var evaluation: Evaluation
    /// The run the model came from, for its curves and settings (nil for a bare checkpoint).
    public var manifest: RunManifest?
    /// The thumbnail of an image file (a `data:` URI), or the reason it cannot be shown.
    public var thumbnail: (String) -> Result<String, any Error>

    public init(
        evaluation: Evaluation, manifest: RunManifest?,
        thumbnail: @escaping (String) -> Result<String, any Error> = { path in
            Result { try Thumbnail.dataURI(path: path, maxSide: 120) }
        }
    ) {
        self.evaluation = evaluation
        self.manifest = manifest
        self.thumbnail = thumbnail
    }

    /// The whole document.
    public func html() -> String {
        let title =
            "Evaluation: "
            + (evaluation.source.run.map(Self.lastComponent) ?? Self.lastComponent(evaluation.source.checkpoint))
        let page = HTML.tag(
            "html", [("lang", "en")],
            [
                .tag(
                    "head", [],
                    [
                        .tag("meta", [("charset", "utf-8")]),
                        .tag("meta", [("name", "viewport"), ("content", "width=device-width, initial-scale=1")]),
                        .tag("title", text: title),
                        .tag("style", [], [.trusted(Self.css)]),
                    ]),
                .tag(
                    "body", [],
                    [
                        .tag(
                            "main", [],
                            [
                                header(title: title), summary(), curves(), classTable(), confusion(), worstImages(),
                                skippedFiles(),
                                .tag(
                                    "footer", [],
                                    text: "Written by workbench evaluate. Self-contained: no script, no network; "
                                        + "the scores are scikit-learn's definitions (zero_division=0, averages "
                                        + "over the classes present)."),
                            ])
                    ]),
            ])
        return "<!DOCTYPE html>\n" + page.render() + "\n"
    }

    func header(title: String) -> HTML {
        let source = evaluation.source
        var facts: [(String, String)] = [
            ("model", "\(source.architecture), stem width \(source.baseChannels), \(evaluation.classes.count) classes"),
            ("weights", source.checkpoint),
            ("data", source.data),
            (
                "preprocessing",
                "resize \(source.preprocessing.resize), center crop \(source.preprocessing.imageSize), normalize mean "
                    + source.preprocessing.mean.map { String(format: "%.4g", $0) }.joined(separator: ", ")
                    + " / std " + source.preprocessing.std.map { String(format: "%.4g", $0) }.joined(separator: ", ")
            ),
        ]
        if let manifest {
            var training =
                "\(manifest.options.strategy), \(manifest.epochs.count) epoch(s), \(manifest.status.rawValue)"
            if let best = manifest.best { training += ", best epoch \(best)" }
            facts.insert(("training", training), at: 1)
        }
        return .tag(
            "header", [],
            [
                .tag("h1", text: title),
                .tag(
                    "dl", [("class", "facts")],
                    facts.flatMap { key, value in [HTML.tag("dt", text: key), .tag("dd", text: value)] }),
            ])
    }

    func summary() -> HTML {
        let cards: [(String, String, String)] = [
            ("Accuracy", Self.percent(evaluation.accuracy), "\(correctCount) of \(evaluation.images) images"),
            ("Macro F1", Self.fixed(evaluation.macro.f1), "unweighted mean over classes"),
            ("Weighted F1", Self.fixed(evaluation.weighted.f1), "weighted by support"),
            ("Mean loss", Self.fixed(evaluation.meanLoss), "cross-entropy"),
        ]
        return .tag(
            "section", [("class", "cards")],
            cards.map { name, value, note in
                .tag(
                    "div", [("class", "card")],
                    [
                        .tag("div", [("class", "card-name")], text: name),
                        .tag("div", [("class", "card-value")], text: value),
                        .tag("div", [("class", "card-note")], text: note),
                    ])
            })
    }

    var correctCount: Int {
        evaluation.confusionMatrix.indices.map { evaluation.confusionMatrix[$0][$0] }.reduce(0, +)
    }

    func curves() -> HTML {
        guard let manifest, !manifest.epochs.isEmpty else {
            return section(
                "Training curves",
                [
                    .tag(
                        "p", [("class", "note")],
                        text: manifest == nil
                            ? "No training curves: a bare checkpoint has no run.json."
                            : "No training curves: the run has no finished epoch.")
                ])
        }
        let epochs = manifest.epochs
        let loss = LineChart(
            title: "Loss",
            series: [
                .init(label: "train", cssClass: "train", values: epochs.map(\.trainLoss)),
                .init(label: "validation", cssClass: "validation", values: epochs.map(\.validationLoss)),
            ], markedEpoch: manifest.best)
        let accuracy = LineChart(
            title: "Accuracy",
            series: [
                .init(label: "train", cssClass: "train", values: epochs.map(\.trainAccuracy)),
                .init(label: "validation", cssClass: "validation", values: epochs.map(\.validationAccuracy)),
            ], yRange: 0...1, markedEpoch: manifest.best)
        return section("Training curves", [.tag("div", [("class", "charts")], [loss.html, accuracy.html])])
    }

    func classTable() -> HTML {
        func bar(_ value: Double) -> HTML {
            .tag(
                "td", [("class", "num")],
                [
                    .tag(
                        "div", [("class", "bar")],
                        [.tag("span", [("style", String(format: "width: %.1f%%", value * 100))])]),
                    .tag("span", [("class", "value")], text: Self.fixed(value)),
                ])
        }
        var rows: [HTML] = [
            .tag(
                "tr", [],
                [HTML.tag("th", text: "class")]
                    + ["precision", "recall", "F1", "support"].map { HTML.tag("th", [("class", "num")], text: $0) })
        ]
        for scores in evaluation.perClass {
            rows.append(
                .tag(
                    "tr", [],
                    [
                        .tag("th", [("class", "name")], text: scores.name), bar(scores.precision), bar(scores.recall),
                        bar(scores.f1), .tag("td", [("class", "num")], text: "\(scores.support)"),
                    ]))
        }
        for (name, averages) in [("macro avg", evaluation.macro), ("weighted avg", evaluation.weighted)] {
            rows.append(
                .tag(
                    "tr", [("class", "average")],
                    [
                        .tag("th", [("class", "name")], text: name), bar(averages.precision), bar(averages.recall),
                        bar(averages.f1), .tag("td", [("class", "num")], text: "\(evaluation.images)"),
                    ]))
        }
        return section("Per class", [.tag("table", [("class", "scores")], rows)])
    }

    func confusion() -> HTML {
        var children: [HTML] = [
            .tag(
                "p", [("class", "note")],
                text: "Rows: true class; columns: predicted class. Shade: share of the row's images."),
            .tag(
                "div", [("class", "scroll")],
                [ConfusionHeatMap(classes: evaluation.classes, matrix: evaluation.confusionMatrix).html]),
        ]
        if !evaluation.mostConfused.isEmpty {
            children.append(.tag("h3", text: "Most confused"))
            children.append(
                .tag(
                    "ol", [("class", "confused")],
                    evaluation.mostConfused.map { pair in
                        .tag(
                            "li", [],
                            [
                                .tag("span", [("class", "name")], text: pair.trueClass),
                                .text(" \u{2192} "),
                                .tag("span", [("class", "name")], text: pair.predictedClass),
                                .tag(
                                    "span", [("class", "count")],
                                    text: " \(pair.count) image(s), \(Self.percent(pair.fraction)) of "
                                        + pair.trueClass),
                            ])
                    }))
        }
        return section("Confusion matrix", children)
    }

    func worstImages() -> HTML {
        guard !evaluation.worst.isEmpty else { return .group([]) }
        let tiles = evaluation.worst.map { sample -> HTML in
            let picture: HTML
            switch thumbnail(sample.path) {
            case let .success(uri):
                picture = .tag(
                    "img", [("src", uri), ("alt", Self.lastComponents(sample.path, 2)), ("title", sample.path)])
            case let .failure(error):
                picture = .tag("div", [("class", "missing")], text: "cannot show: \(error)")
            }
            return .tag(
                "figure", [("class", sample.trueClass == sample.predictedClass ? "tile right" : "tile wrong")],
                [
                    .tag("div", [("class", "frame")], [picture]),
                    .tag(
                        "figcaption", [],
                        [
                            .tag(
                                "div", [("class", "file"), ("title", sample.path)],
                                text: Self.lastComponents(sample.path, 2)),
                            .tag(
                                "div", [], [.tag("span", [("class", "key")], text: "true "), .text(sample.trueClass)]),
                            .tag(
                                "div", [],
                                [
                                    .tag("span", [("class", "key")], text: "predicted "), .text(sample.predictedClass),
                                    .text(" (\(Self.percent(sample.probability)))"),
                                ]),
                            .tag("div", [("class", "loss")], text: "loss " + Self.fixed(sample.loss)),
                        ]),
                ])
        }
        return section(
            "Highest loss",
            [
                .tag(
                    "p", [("class", "note")],
                    text: "The \(evaluation.worst.count) images the model was most wrong about (highest "
                        + "cross-entropy), highest first."),
                .tag("div", [("class", "tiles")], tiles),
            ])
    }

    func skippedFiles() -> HTML {
        guard !evaluation.skipped.isEmpty else { return .group([]) }
        return section(
            "Skipped files",
            [.tag("ul", [], evaluation.skipped.map { HTML.tag("li", [("class", "file")], text: $0) })])
    }

    func section(_ title: String, _ children: [HTML]) -> HTML {
        .tag("section", [], [.tag("h2", text: title)] + children)
    }

    static func lastComponent(_ path: String) -> String { lastComponents(path, 1) }

    /// The last `count` components of `path` (`digit_9/0067.jpg` for an ImageFolder image: its class folder and
    /// file, since file names repeat between class folders), or the whole path when it has fewer.
    static func lastComponents(_ path: String, _ count: Int) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        let parts = trimmed.split(separator: "/")
        return parts.isEmpty ? path : parts.suffix(count).joined(separator: "/")
    }

    static func fixed(_ value: Double) -> String { String(format: "%.4f", value) }
    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    static let css: StaticString = """
        :root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --panel: #f9fafb; --blue: #2563eb;
          --orange: #ea580c; --red: #dc2626; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
          background: #fff; }
        main { max-width: 1100px; margin: 0 auto; padding: 28px 32px 48px; }
        h1 { font-size: 26px; margin: 0 0 12px; overflow-wrap: anywhere; }
        h2 { font-size: 19px; margin: 34px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
        h3 { font-size: 15px; margin: 20px 0 8px; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; font-size: 13px; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, Menlo, Consolas, monospace; }
        .cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin-top: 24px; }
        .card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
        .card-name { color: var(--muted); font-size: 13px; }
        .card-value { font-size: 28px; font-weight: 650; margin: 2px 0; }
        .card-note { color: var(--muted); font-size: 12px; }
        .note { color: var(--muted); font-size: 13px; margin: 0 0 10px; }
        .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
        .chart { width: 100%; height: auto; background: var(--panel); border: 1px solid var(--line);
          border-radius: 10px; }
        .chart .grid { stroke: var(--line); stroke-width: 1; }
        .chart .axis { stroke: #9ca3af; stroke-width: 1; }
        .chart text { font-size: 11px; fill: var(--muted); }
        .chart .chart-title { font-size: 14px; font-weight: 600; fill: var(--ink); }
        .chart .tick-y { text-anchor: end; }
        .chart .tick-x, .chart .axis-label { text-anchor: middle; }
        .chart .legend { fill: var(--ink); }
        .chart .line { fill: none; stroke-width: 2.2; }
        .chart .line.train { stroke: var(--blue); }
        .chart .line.validation { stroke: var(--orange); }
        .chart .dot.train { fill: var(--blue); }
        .chart .dot.validation { fill: var(--orange); }
        .chart .marker { stroke: #16a34a; stroke-width: 1.2; stroke-dasharray: 4 3; }
        .chart .marker-label { fill: #16a34a; }
        .chart .marker-label.end { text-anchor: end; }
        table { border-collapse: collapse; }
        .scores { width: 100%; }
        .scores th, .scores td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; }
        .scores tr:first-child th { color: var(--muted); font-weight: 500; font-size: 13px; }
        .scores .name { font-weight: 500; overflow-wrap: anywhere; max-width: 320px; }
        .scores .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
        .scores .average th, .scores .average td { background: var(--panel); }
        .bar { display: inline-block; width: 80px; height: 8px; background: var(--line); border-radius: 4px;
          margin-right: 8px; vertical-align: middle; overflow: hidden; }
        .bar span { display: block; height: 100%; background: var(--blue); }
        .scroll { overflow-x: auto; }
        .confusion th, .confusion td { border: 1px solid #fff; }
        .confusion .corner { font-size: 12px; color: var(--muted); font-weight: 500; text-align: left;
          vertical-align: bottom; padding: 4px 8px; }
        .confusion .col { height: 110px; width: 44px; vertical-align: bottom; padding: 4px 0; font-weight: 500;
          font-size: 12px; }
        .confusion .col span { display: inline-block; writing-mode: vertical-rl; transform: rotate(180deg);
          max-height: 104px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .confusion .row { text-align: right; padding: 0 10px; font-weight: 500; font-size: 12px; max-width: 220px;
          overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .confusion .cell { width: 44px; height: 40px; text-align: center; font-variant-numeric: tabular-nums;
          font-size: 13px; background-clip: padding-box; outline: 1px solid var(--line); outline-offset: -1px; }
        .confusion .cell.dark { color: #fff; font-weight: 600; }
        .confused { margin: 0; padding-left: 22px; }
        .confused li { margin: 3px 0; }
        .confused .name { font-weight: 600; }
        .confused .count { color: var(--muted); }
        .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 14px; }
        .tile { margin: 0; border: 1px solid var(--line); border-radius: 10px; overflow: hidden; background: #fff; }
        .tile.wrong { border-top: 3px solid var(--red); }
        .tile.right { border-top: 3px solid #16a34a; }
        .frame { height: 140px; display: flex; align-items: center; justify-content: center; background: var(--panel); }
        .frame img { width: 120px; height: 120px; object-fit: contain; image-rendering: pixelated; }
        .missing { color: var(--red); font-size: 12px; padding: 8px; overflow-wrap: anywhere; }
        figcaption { padding: 8px 10px; font-size: 12.5px; line-height: 1.5; overflow-wrap: anywhere; }
        figcaption .file { font-family: ui-monospace, Menlo, Consolas, monospace; color: var(--muted);
          white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
        figcaption .key { color: var(--muted); }
        figcaption .loss { font-weight: 600; }
        li.file { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; }
        footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
        @media (max-width: 760px) { .cards { grid-template-columns: 1fr 1fr; } .charts { grid-template-columns: 1fr; } }
        """
}
