// Placeholder so the package builds while this target is being written; removed when the target has sources.
