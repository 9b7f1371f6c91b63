// The engine's API speaks in tokenizer and sampler types; re-export them so clients import one module.
@_exported import PalmtopSampling
@_exported import PalmtopTokenizers
