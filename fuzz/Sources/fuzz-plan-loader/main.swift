import FuzzSupport

LibFuzzer.run(fuzzPlanLoader)
