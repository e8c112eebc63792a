"""Jobs: the engine that runs an upload from files to results, its kinds (tracking numbers,
delivery events), its progress events, its control, its report and its journal."""
