import Checkpoints
import Golden
import TestSupport
import Testing

/// Every loadable fixture written by torch.save (zip, legacy, repacked, ZIP64, big-endian) or by hand in the
/// safetensors format reads back to exactly the tensors recorded in `expected.h5`.
@Suite struct FixtureLoadingTests {
    static let fixtures = [
        "zip_tiny_f32", "zip_tiny_f16", "zip_tiny_bf16", "legacy_tiny_f32", "legacy_tiny_f16", "legacy_tiny_bf16",
        "zip_shared_storage", "legacy_shared_storage", "zip_views", "zip_dtypes", "legacy_dtypes", "zip_parameters",
        "zip_top_folder", "zip_wrapped", "legacy_wrapped_model", "zip_dataparallel", "zipfile_repacked",
        "zipfile_minimal", "zip64_forced", "zip_big_endian", "zip_no_crc", "st_tiny_f32", "st_dtypes",
    ]

    @Test func everyExpectedGroupIsListed() throws {
        #expect(try ExpectedCheckpoint.groupNames().sorted() == Self.fixtures.sorted())
    }

    /// The library's replay (shared with `workbench regress`): loaded from the file and decoded from memory.
    @Test(arguments: fixtures)
    func loadsExpectedValuesFromFileAndMemory(_ name: String) throws {
        let result = try CheckpointReplay.run(folder: fixtureFolder, group: name)
        #expect(result.count > 4)
        expectPassed(result)
    }

    @Test func detectsFormatsByMagicBytes() throws {
        #expect(try Checkpoint.detectFormat(path: fixture("zip_tiny_f32.pth")) == .torchZip)
        #expect(try Checkpoint.detectFormat(path: fixture("legacy_tiny_f32.pth")) == .torchLegacy)
        #expect(try Checkpoint.detectFormat(path: fixture("st_tiny_f32.safetensors")) == .safetensors)
        #expect(try Checkpoint.detectFormat(path: fixture("zip64_forced.pth")) == .torchZip)
    }

    @Test func sharedStorageViewsAreIndependentCopies() throws {
        let loaded = try Checkpoint.load(path: fixture("zip_shared_storage.pth"))
        let whole = try #require(loaded["whole"]?.floats)
        #expect(loaded["x"]?.floats == Array(whole[2..<6]))
        #expect(loaded["y"]?.floats == Array(whole[4..<10]))
        #expect(loaded["y"]?.shape == [2, 3])
    }

    @Test func transposedViewIsMaterialisedInCOrder() throws {
        let loaded = try Checkpoint.load(path: fixture("zip_views.pth"))
        let transposed = try #require(loaded["transposed"])
        let column = try #require(loaded["column"]?.floats)
        #expect(transposed.shape == [4, 3])
        let values = try #require(transposed.floats)
        #expect([values[3], values[4], values[5]] == column)
    }

    @Test func batchNormMetadataIsExposed() throws {
        let loaded = try Checkpoint.load(path: fixture("zip_tiny_f32.pth"))
        #expect(loaded.version(ofModule: "bn1") == 2)
        #expect(loaded.version(ofModule: "") == 1)
        #expect(loaded.version(ofModule: "missing") == nil)
        let tracked = try #require(loaded["bn1.num_batches_tracked"])
        #expect(tracked.shape == [] && tracked.dtype == .int64 && tracked.integers == [2])
    }

    @Test func safeTensorsMetadataIsExposed() throws {
        let loaded = try Checkpoint.load(path: fixture("st_tiny_f32.safetensors"))
        #expect(loaded.metadata == ["format": "pt", "source": "tlref"])
        #expect(loaded.moduleVersions.isEmpty)
    }

    @Test func wrappedCheckpointsLoadWithAnExplicitKey() throws {
        let expected = try ExpectedCheckpoint(group: "zip_wrapped").stateDict
        let byKey = try Checkpoint.load(
            path: fixture("zip_wrapped.pth"),
            options: CheckpointLoadOptions(unwrapKey: "state_dict"))
        expectSameStateDict(byKey, expected, "zip_wrapped.pth with unwrapKey")
    }

    @Test func dataParallelPrefixCanBeKept() throws {
        let loaded = try Checkpoint.load(
            path: fixture("zip_dataparallel.pth"),
            options: CheckpointLoadOptions(keepPrefixedKeys: true))
        #expect(loaded.keys.allSatisfy { $0.hasPrefix("module.") })
        #expect(loaded.version(ofModule: "module.bn1") == 2)
    }
}
