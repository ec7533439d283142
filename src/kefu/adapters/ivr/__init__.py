"""IVR adapters: the jieba tokenizer, the demo bank's self-service actions, a local driver."""
