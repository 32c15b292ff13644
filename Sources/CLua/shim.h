#ifndef UPSHIFT_CLUA_SHIM_H
#define UPSHIFT_CLUA_SHIM_H
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Wrappers for the C macros Swift cannot import ---------------------------------------------- */

static inline int upshift_registry_index(void) { return LUA_REGISTRYINDEX; }
static inline int upshift_upvalue_index(int i) { return lua_upvalueindex(i); }
static inline void upshift_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void upshift_newtable(lua_State *L) { lua_newtable(L); }
static inline void upshift_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void upshift_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }
static inline const char *upshift_typename(lua_State *L, int idx) { return luaL_typename(L, idx); }
static inline const char *upshift_tostring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
static inline int upshift_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}

/* ---- Per-state control block: memory cap, instruction budget, deadline --------------------------- */

/* Why a run stopped; once set, every further instruction raises, so a hook's own pcall cannot resume. */
#define UPSHIFT_STOP_NONE 0
#define UPSHIFT_STOP_BUDGET 1
#define UPSHIFT_STOP_DEADLINE 2
#define UPSHIFT_STOP_TERMINATED 3
#define UPSHIFT_STOP_INTERRUPTED 4

/* Swift's side of a registered function: returns the result count, or -1 with a message pushed. */
typedef int (*upshift_dispatch_fn)(lua_State *L, void *box);

/* Lives as the allocator's user data, so the hook and the trampoline reach it from any coroutine. */
typedef struct upshift_control {
    size_t memory_used;
    size_t memory_limit;
    int enforce_memory_limit; /* only while Lua runs: an allocation failure in Swift's API calls would longjmp */
    long long instructions_left;
    int check_interval;
    long long deadline_ns;
    int stop;
    int memory_refused; /* the cap refused an allocation during this run */
    upshift_dispatch_fn dispatch;
    int error_line;
    char error_source[LUA_IDSIZE];
    int stop_line; /* where the run first stopped, -1 until then */
    char stop_source[LUA_IDSIZE];
    int *interrupt; /* set to 1 from any thread to stop the run at its next look (the step was cancelled) */
} upshift_control;

static inline long long upshift_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Asks the run to stop at its next look at the budget; safe from any thread. */
static inline void upshift_request_interrupt(int *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELEASE); }
static inline int upshift_interrupt_requested(int *flag) { return __atomic_load_n(flag, __ATOMIC_ACQUIRE); }

/* The stop a look at the budget and the clock finds, given what is left of the budget. */
static inline int upshift_stop_due(const upshift_control *c) {
    if (c->instructions_left <= 0) return UPSHIFT_STOP_BUDGET;
    if (c->interrupt != NULL && __atomic_load_n(c->interrupt, __ATOMIC_ACQUIRE)) return UPSHIFT_STOP_INTERRUPTED;
    if (upshift_now_ns() >= c->deadline_ns) return UPSHIFT_STOP_DEADLINE;
    return UPSHIFT_STOP_NONE;
}

static inline upshift_control *upshift_control_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (upshift_control *)ud;
}

static inline const char *upshift_error_source(const upshift_control *c) { return c->error_source; }
static inline const char *upshift_stop_source(const upshift_control *c) { return c->stop_source; }


static inline void *upshift_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    upshift_control *c = (upshift_control *)ud;
    if (ptr == NULL) osize = 0; /* osize then encodes the object type, not a size */
    if (nsize == 0) {
        free(ptr);
        c->memory_used -= osize;
        return NULL;
    }
    size_t others = c->memory_used - osize; /* what the rest of the state holds */
    if (nsize > osize && c->enforce_memory_limit && (others > c->memory_limit || nsize > c->memory_limit - others)) {
        c->memory_refused = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    c->memory_used = c->memory_used - osize + nsize;
    return p;
}

static inline lua_State *upshift_newstate(upshift_control *c) { return lua_newstate(upshift_alloc, c); }

/* Finds the first Lua (not C) function at or above `level`: its current line (-1 if none); copies its
   short source name into `source`. */
static inline int upshift_lua_frame(lua_State *L, int level, char *source, size_t capacity) {
    lua_Debug ar;
    if (capacity > 0) source[0] = '\0';
    for (; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            if (capacity > 0) {
                strncpy(source, ar.short_src, capacity - 1);
                source[capacity - 1] = '\0';
            }
            return ar.currentline;
        }
    }
    return -1;
}

static inline void upshift_count_hook(lua_State *L, lua_Debug *ar);

/* Raises the error of a stopped run, located at the Lua function `level` up; from then on every instruction
   of this thread raises it again, so a hook's own pcall cannot resume. */
static inline int upshift_raise_stop(lua_State *L, int level) {
    upshift_control *c = upshift_control_of(L);
    if (lua_gethookcount(L) != 1) lua_sethook(L, upshift_count_hook, LUA_MASKCOUNT, 1);
    if (c->stop_line < 0) c->stop_line = upshift_lua_frame(L, level, c->stop_source, sizeof c->stop_source);
    luaL_where(L, level);
    lua_pushstring(L, c->stop == UPSHIFT_STOP_BUDGET     ? "instruction budget exhausted"
                      : c->stop == UPSHIFT_STOP_DEADLINE ? "wall-clock limit reached"
                      : c->stop == UPSHIFT_STOP_INTERRUPTED ? "hook cancelled"
                                                         : "hook terminated");
    lua_concat(L, 2);
    return lua_error(L);
}

/* The count hook has to be C: it raises a Lua error, i.e. longjmps, which must never cross Swift frames. */
static inline void upshift_count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    upshift_control *c = upshift_control_of(L);
    if (c->stop == UPSHIFT_STOP_NONE) {
        c->instructions_left -= lua_gethookcount(L);
        c->stop = upshift_stop_due(c);
        if (c->stop == UPSHIFT_STOP_NONE) {
            /* a coroutine may still carry the every-instruction hook of an earlier, stopped run */
            if (lua_gethookcount(L) != c->check_interval)
                lua_sethook(L, upshift_count_hook, LUA_MASKCOUNT, c->check_interval);
            return;
        }
    }
    upshift_raise_stop(L, 0); /* inside a hook, level 0 is the Lua function that was interrupted */
}

/* Starts a run on the main thread: fresh budget and deadline, hook every `interval` instructions. */
static inline void upshift_start_run(lua_State *L, long long budget, long long deadline_ns, int interval) {
    upshift_control *c = upshift_control_of(L);
    c->instructions_left = budget;
    c->deadline_ns = deadline_ns;
    c->check_interval = interval;
    c->stop = UPSHIFT_STOP_NONE;
    c->stop_line = -1;
    c->memory_refused = 0;
    lua_sethook(L, upshift_count_hook, LUA_MASKCOUNT, interval);
}

/* Ends the run from a Swift callback (upshift.fail, a sleep past the deadline): no instruction runs after. */
static inline void upshift_terminate(lua_State *L) {
    upshift_control_of(L)->stop = UPSHIFT_STOP_TERMINATED;
    lua_sethook(L, upshift_count_hook, LUA_MASKCOUNT, 1);
}

/* How many table entries reading the value at `index` into Swift would copy (a table held twice counts
   twice), up to a little past `limit`; tables nested deeper than `depth` are left to the reader to refuse.
   Raw access only: no metamethod runs, nothing raises. Cheap, so a value too large fails before Swift
   builds any of it. */
static inline long long upshift_count_entries(lua_State *L, int index, int depth, long long limit) {
    if (lua_type(L, index) != LUA_TTABLE || depth <= 0 || !lua_checkstack(L, 3)) return 0;
    index = lua_absindex(L, index);
    long long count = 0;
    lua_pushnil(L);
    while (count <= limit && lua_next(L, index) != 0) {
        count += 1 + upshift_count_entries(L, -2, depth - 1, limit - count);
        count += upshift_count_entries(L, -1, depth - 1, limit - count);
        lua_pop(L, 1);
    }
    if (count > limit) lua_pop(L, 1); /* the key lua_next left */
    return count;
}

/* Message handler for the sandbox's pcalls: remembers where the error was raised (a non-string error value
   carries no position) and turns a value into the string its __tostring returns. Anything else (also a
   __tostring that returns no string) stays as it is, for Swift to describe. */
static inline int upshift_message_handler(lua_State *L) {
    upshift_control *c = upshift_control_of(L);
    c->error_line = upshift_lua_frame(L, 1, c->error_source, sizeof c->error_source);
    lua_settop(L, 1);
    int type = lua_type(L, 1);
    if (type == LUA_TSTRING || type == LUA_TNUMBER || !luaL_callmeta(L, 1, "__tostring")) return 1;
    if (lua_type(L, 2) != LUA_TSTRING) lua_settop(L, 1);
    return 1;
}

/* setmetatable without __gc: Lua runs finalizers with hooks off, so a __gc loop would escape the budget and
   the deadline. Upvalue 1 is the original setmetatable. Only setmetatable marks objects for finalization,
   and only when the metatable has __gc at that moment (checked raw, as Lua does). */
static inline int upshift_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "__gc metamethods are not allowed in hooks");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static inline void upshift_install_setmetatable(lua_State *L) {
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, upshift_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
}

/* Every registered Swift function is this closure; upvalue 1 is a light userdata for the Swift box. */
static inline int upshift_trampoline(lua_State *L) {
    upshift_control *c = upshift_control_of(L);
    void *box = lua_touserdata(L, lua_upvalueindex(1));
    int enforced = c->enforce_memory_limit;
    c->enforce_memory_limit = 0;
    int n = c->dispatch(L, box);
    c->enforce_memory_limit = enforced;
    if (n >= 0) return n;
    luaL_where(L, 1); /* the hook line that called us */
    lua_insert(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
}

static inline void upshift_push_swift_function(lua_State *L, void *box) {
    lua_pushlightuserdata(L, box);
    lua_pushcclosure(L, upshift_trampoline, 1);
}

#include "meter.h"
#include "pattern.h"
#include "string_lib.h"
#include "table_lib.h"
#include "guards.h"

#endif
