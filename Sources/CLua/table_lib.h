#ifndef UPSHIFT_CLUA_TABLE_LIB_H
#define UPSHIFT_CLUA_TABLE_LIB_H
/* Included by shim.h after meter.h. */

/* ---- table.insert, remove and move for the sandbox ----------------------------------------------------------
   Lua's versions shift elements in a C loop as long as the range (or a `__len` metamethod) says, e.g.
   `table.move({}, 1, 1e15, 1, {})`; these count every element moved on the step meter. Arguments, results
   and error messages are Lua 5.4's. */

#define UPSHIFT_TABLE_READ 1
#define UPSHIFT_TABLE_WRITE 2
#define UPSHIFT_TABLE_LENGTH 4

/* A table, or a value whose metatable has (raw) the metamethods that the access `what` goes through. */
static inline void upshift_check_table(lua_State *L, int arg, int what) {
    if (lua_type(L, arg) == LUA_TTABLE) return;
    int top = lua_gettop(L);
    int usable = lua_getmetatable(L, arg);
    static const char *const fields[] = {"__index", "__newindex", "__len"};
    for (int i = 0; i < 3 && usable; i++) {
        if (!(what & (1 << i))) continue;
        lua_pushstring(L, fields[i]);
        usable = lua_rawget(L, top + 1) != LUA_TNIL;
    }
    lua_settop(L, top);
    if (!usable) luaL_checktype(L, arg, LUA_TTABLE);
}

/* The length of the table argument 1, through __len. */
static inline lua_Integer upshift_table_length(lua_State *L) {
    upshift_check_table(L, 1, UPSHIFT_TABLE_READ | UPSHIFT_TABLE_WRITE | UPSHIFT_TABLE_LENGTH);
    return luaL_len(L, 1);
}

/* table.insert(t, [pos,] value). */
static inline int upshift_table_insert(lua_State *L) {
    lua_Integer first_empty = (lua_Integer)((lua_Unsigned)upshift_table_length(L) + 1u);
    lua_Integer position = first_empty;
    switch (lua_gettop(L)) {
    case 2: break;
    case 3: {
        position = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)position - 1u < (lua_Unsigned)first_empty, 2, "position out of bounds");
        upshift_meter meter = upshift_meter_start(L);
        for (lua_Integer i = first_empty; i > position; i--) {
            upshift_meter_tick(&meter);
            lua_geti(L, 1, i - 1);
            lua_seti(L, 1, i);
        }
        break;
    }
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, position);
    return 0;
}

/* table.remove(t [, pos]). */
static inline int upshift_table_remove(lua_State *L) {
    lua_Integer size = upshift_table_length(L);
    lua_Integer position = luaL_optinteger(L, 2, size);
    if (position != size) /* Lua 5.4.4 blames argument 1 for a bad position here */
        luaL_argcheck(L, (lua_Unsigned)position - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
    upshift_meter meter = upshift_meter_start(L);
    lua_geti(L, 1, position);
    for (; position < size; position++) {
        upshift_meter_tick(&meter);
        lua_geti(L, 1, position + 1);
        lua_seti(L, 1, position);
    }
    lua_pushnil(L);
    lua_seti(L, 1, position);
    return 1;
}

/* table.move(a1, f, e, t [, a2]). */
static inline int upshift_table_move(lua_State *L) {
    lua_Integer from = luaL_checkinteger(L, 2);
    lua_Integer to = luaL_checkinteger(L, 3);
    lua_Integer target = luaL_checkinteger(L, 4);
    int destination = lua_isnoneornil(L, 5) ? 1 : 5;
    upshift_check_table(L, 1, UPSHIFT_TABLE_READ);
    upshift_check_table(L, destination, UPSHIFT_TABLE_WRITE);
    if (to >= from) {
        luaL_argcheck(L, from > 0 || to < LUA_MAXINTEGER + from, 3, "too many elements to move");
        lua_Integer count = to - from + 1;
        luaL_argcheck(L, target <= LUA_MAXINTEGER - count + 1, 4, "destination wrap around");
        upshift_meter meter = upshift_meter_start(L);
        /* an overlapping move to a higher place in the same table copies from the end */
        int forward = target > to || target <= from || (destination != 1 && !lua_compare(L, 1, destination, LUA_OPEQ));
        for (lua_Integer k = 0; k < count; k++) {
            lua_Integer i = forward ? k : count - 1 - k;
            upshift_meter_tick(&meter);
            lua_geti(L, 1, from + i);
            lua_seti(L, destination, target + i);
        }
    }
    lua_pushvalue(L, destination);
    return 1;
}

/* Replaces the functions above in the `table` table on top of the stack. */
static inline void upshift_install_table_functions(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"insert", upshift_table_insert}, {"remove", upshift_table_remove}, {"move", upshift_table_move}, {NULL, NULL},
    };
    luaL_setfuncs(L, functions, 0);
}

#endif
