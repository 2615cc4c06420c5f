"""framepool.evm: a Cancun Ethereum Virtual Machine whose call frames come from a FramePoolManager."""
