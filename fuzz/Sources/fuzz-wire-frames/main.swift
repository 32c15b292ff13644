import FuzzSupport

LibFuzzer.run(fuzzWireFrames)
