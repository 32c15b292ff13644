#ifndef UPSHIFT_CLUA_GUARDS_H
#define UPSHIFT_CLUA_GUARDS_H
/* Included by shim.h after string_lib.h and table_lib.h. */

/* ---- Lua code that would run with hooks off -----------------------------------------------------------------
   When the count hook raises, Lua leaves hooks disabled on that thread until a protected call catches the
   error. Before that catch it runs an xpcall message handler; and a coroutine killed that way keeps hooks
   off for good, so coroutine.close (or wrap, which closes on error) would run its `__close` handlers
   unbudgeted. */

/* Stands in for an xpcall message handler (upvalue 1): once the run has stopped, the handler is not run
   (the error ends the hook anyway) and the error passes through unchanged. */
static inline int upshift_xpcall_handler(lua_State *L) {
    if (upshift_control_of(L)->stop != UPSHIFT_STOP_NONE) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static inline int upshift_xpcall_finish(lua_State *L, int status, lua_KContext results_base) {
    if (status != LUA_OK && status != LUA_YIELD) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)results_base;
}

/* xpcall(f, msgh, ...) with msgh behind upshift_xpcall_handler; yields through it as Lua's does. */
static inline int upshift_xpcall(lua_State *L) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int arguments = lua_gettop(L) - 2;
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, upshift_xpcall_handler, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1); /* the first result when f succeeds */
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2); /* stack: f, handler, true, f, arguments... */
    int status = lua_pcallk(L, arguments, LUA_MULTRET, 2, 2, upshift_xpcall_finish);
    return upshift_xpcall_finish(L, status, 2);
}

static inline int upshift_coroutine_body_finish(lua_State *L, int status, lua_KContext unused) {
    (void)unused;
    if (status != LUA_OK && status != LUA_YIELD) return lua_error(L); /* raised again, with hooks on */
    return lua_gettop(L);
}

/* A coroutine's body (upvalue 1) under a protected call: an error is caught inside the coroutine, where
   Lua turns hooks back on and closes the body's variables, and is then raised again as it was. One visible
   difference from plain Lua: a failed coroutine's `<close>` variables close when it fails, as in a pcall,
   not when coroutine.close is called later (wrap closed them at once anyway). */
static inline int upshift_coroutine_body(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    int status = lua_pcallk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, 0, upshift_coroutine_body_finish);
    return upshift_coroutine_body_finish(L, status, 0);
}

/* coroutine.create and coroutine.wrap (upvalue 1, the original) with the body under the guard above. */
static inline int upshift_coroutine_start(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_pushcclosure(L, upshift_coroutine_body, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

/* Installs the metered and guarded functions over the opened libraries (string, table, coroutine, base). */
static inline void upshift_install_guards(lua_State *L) {
    lua_getglobal(L, "string");
    upshift_install_string_functions(L);
    lua_pop(L, 1);
    lua_getglobal(L, "table");
    upshift_install_table_functions(L);
    lua_pop(L, 1);
    lua_getglobal(L, "coroutine");
    static const char *const starts[] = {"create", "wrap"};
    for (int i = 0; i < 2; i++) {
        lua_getfield(L, -1, starts[i]);
        lua_pushcclosure(L, upshift_coroutine_start, 1);
        lua_setfield(L, -2, starts[i]);
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, upshift_xpcall);
    lua_setglobal(L, "xpcall");
}

#endif
