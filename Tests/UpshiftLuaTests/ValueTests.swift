import Testing
import UpshiftLua

@Suite struct ValueTests {
    @Test func hookResultsComeBackWithTheirTypes() throws {
        let source = """
            return function(ctx)
              return 3, 3.0, 2^53, "s", nil, true, {10, 20, x = "y", [5] = "five"}, ""
            end
            """
        let results = try runHook(source)
        #expect(results == [
            .integer(3), .number(3.0), .number(9007199254740992), "s", nil, true,
            .table(LuaTable(array: [10, 20], hash: ["x": "y", 5: "five"])), "",
        ])
        #expect(results[6].tableValue?.array == [10, 20])
    }

    @Test func contextReachesTheHook() throws {
        let ctx: LuaValue = ["step": "before:stop-primary", "host": ["name": "db1"], "with": ["channel": "#dba", "parallel": 4]]
        let source = "return function(ctx) return ctx.with.channel, ctx.with.parallel + 1, ctx.host.name, ctx.missing end"
        #expect(try runHook(source, argument: ctx) == ["#dba", 5, "db1", nil])
    }

    @Test func stringsAreBytesDecodedAsLossyUTF8() throws {
        let results = try runHook("return function() return 'ok\\255', 'a\\0b', #'é' end")
        #expect(results == ["ok\u{FFFD}", "a\u{0}b", 2])
        let echoed = try runHook("return function(ctx) return #ctx.s, ctx.s end", argument: ["s": "naïve\u{0}"])
        #expect(echoed == [7, "naïve\u{0}"])
    }

    @Test func tableKeepsLuaSequenceSemantics() {
        var table: LuaTable = [1: "a", 2: "b", 4: "d"]
        #expect(table == LuaTable(array: ["a", "b"], hash: [4: "d"]))
        table[3] = "c"
        #expect(table.array == ["a", "b", "c", "d"] && table.hash.isEmpty)
        table[2] = nil
        #expect(table.array == ["a"])
        #expect(table[3] == "c" && table[2] == nil)
        table[2.0] = "b"
        #expect(table.array == ["a", "b", "c", "d"])
    }

    @Test func accessorsAndRendering() {
        let value: LuaValue = ["name": "orders", "ids": [1, 2], "ratio": 0.5, "quote": "say \"hi\"\n"]
        #expect(value["name"].stringValue == "orders")
        #expect(value["ids"][2].intValue == 2)
        #expect(value["ratio"].doubleValue == 0.5)
        #expect(value["absent"].isNil && !value["absent"].isTruthy)
        #expect(LuaValue.number(4.0).intValue == 4 && LuaValue.number(4.5).intValue == nil)
        #expect(value.description == "{ids = {1, 2}, name = \"orders\", quote = \"say \\\"hi\\\"\\n\", ratio = 0.5}")
        #expect(LuaValue.table(["a", ["not an id": 1, 2: false]]).description == "{\"a\", {[\"not an id\"] = 1, [2] = false}}")
    }
}
