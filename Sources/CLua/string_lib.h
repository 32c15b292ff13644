#ifndef UPSHIFT_CLUA_STRING_LIB_H
#define UPSHIFT_CLUA_STRING_LIB_H
/* Included by shim.h after pattern.h. */
#include <limits.h>

/* ---- string.find, match, gmatch, gsub and rep for the sandbox --------------------------------------------
   Same arguments, results and error messages as Lua 5.4's; they differ only in stopping at the run's
   limits (and rep in not looping over empty copies). */

/* Pattern bytes that make find match rather than search plainly. */
static inline int upshift_pattern_is_plain(const char *p, size_t lp) {
    for (size_t i = 0; i < lp; i++) {
        if (memchr("^$*+?.([%-", p[i], 10) != NULL) return 0;
    }
    return 1;
}

/* A 1-based start position (negative counts from the end) as an index clamped to at least 1. */
static inline size_t upshift_start_index(lua_Integer position, size_t length) {
    if (position > 0) return (size_t)position;
    if (position == 0 || position < -(lua_Integer)length) return 1;
    return length + (size_t)position + 1;
}

/* The first occurrence of [p, p+lp) in [s, s+ls), or NULL; each candidate costs steps by its length. */
static inline const char *upshift_plain_search(upshift_meter *meter, const char *s, size_t ls, const char *p,
                                               size_t lp) {
    if (lp == 0) return s;
    if (lp > ls) return NULL;
    const char *last = s + (ls - lp); /* the last place an occurrence can start */
    const char *at = s;
    while (at <= last) {
        const char *candidate = memchr(at, p[0], (size_t)(last - at) + 1);
        if (candidate == NULL) return NULL;
        upshift_meter_add(meter, 1 + (long long)((candidate - at) + lp) / 64);
        if (memcmp(candidate + 1, p + 1, lp - 1) == 0) return candidate;
        at = candidate + 1;
    }
    return NULL;
}

/* string.find (find = 1) and string.match (find = 0). */
static inline int upshift_string_find_or_match(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t start = upshift_start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (start > ls) {
        lua_pushnil(L);
        return 1;
    }
    upshift_meter meter = upshift_meter_start(L);
    if (find && (lua_toboolean(L, 4) || upshift_pattern_is_plain(p, lp))) {
        const char *at = upshift_plain_search(&meter, s + start, ls - start, p, lp);
        if (at == NULL) {
            lua_pushnil(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(at - s) + 1);
        lua_pushinteger(L, (lua_Integer)(at - s + lp));
        return 2;
    }
    int anchored = lp > 0 && *p == '^';
    if (anchored) {
        p++;
        lp--;
    }
    upshift_matcher m;
    upshift_matcher_init(&m, L, &meter, s, ls, p, lp);
    for (const char *at = s + start;; at++) {
        upshift_matcher_reset(&m);
        const char *end = upshift_pattern_match(&m, at, p);
        if (end != NULL) {
            if (!find) return upshift_pattern_push_captures(&m, at, end);
            lua_pushinteger(L, (lua_Integer)(at - s) + 1);
            lua_pushinteger(L, (lua_Integer)(end - s));
            return 2 + upshift_pattern_push_captures(&m, NULL, NULL);
        }
        if (anchored || at >= m.subject_end) break;
    }
    lua_pushnil(L);
    return 1;
}

static inline int upshift_string_find(lua_State *L) { return upshift_string_find_or_match(L, 1); }
static inline int upshift_string_match(lua_State *L) { return upshift_string_find_or_match(L, 0); }

/* Where a gmatch iterator resumes; the subject and the pattern are its upvalues 1 and 2. */
typedef struct upshift_gmatch_state {
    size_t next;     /* offset where the next search starts */
    size_t last_end; /* offset where the last match ended, if any: an empty match there is skipped */
    int has_last;
} upshift_gmatch_state;

static inline int upshift_gmatch_step(lua_State *L) {
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    upshift_gmatch_state *state = (upshift_gmatch_state *)lua_touserdata(L, lua_upvalueindex(3));
    upshift_meter meter = upshift_meter_start(L);
    upshift_matcher m;
    upshift_matcher_init(&m, L, &meter, s, ls, p, lp);
    for (size_t at = state->next; at <= ls; at++) {
        upshift_matcher_reset(&m);
        const char *end = upshift_pattern_match(&m, s + at, p);
        if (end != NULL && !(state->has_last && (size_t)(end - s) == state->last_end)) {
            state->next = state->last_end = (size_t)(end - s);
            state->has_last = 1;
            return upshift_pattern_push_captures(&m, s + at, end);
        }
    }
    state->next = ls + 1;
    return 0;
}

/* string.gmatch(s, pattern [, init]); '^' is an ordinary byte here, as in Lua 5.4. */
static inline int upshift_string_gmatch(lua_State *L) {
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checklstring(L, 2, NULL);
    size_t start = upshift_start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);
    upshift_gmatch_state *state = (upshift_gmatch_state *)lua_newuserdatauv(L, sizeof *state, 0);
    state->next = start > ls ? ls + 1 : start;
    state->last_end = 0;
    state->has_last = 0;
    lua_pushcclosure(L, upshift_gmatch_step, 3);
    return 1;
}

/* Appends a replacement string with its `%0`-`%9` and `%%` for the match [s, e). */
static inline void upshift_gsub_add_template(upshift_matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    size_t length;
    const char *r = lua_tolstring(m->L, 3, &length);
    const char *r_end = r + length;
    upshift_meter_add(m->meter, 1 + (long long)length / 64);
    while (r < r_end) {
        const char *escape = memchr(r, '%', (size_t)(r_end - r));
        if (escape == NULL) {
            luaL_addlstring(b, r, (size_t)(r_end - r));
            return;
        }
        luaL_addlstring(b, r, (size_t)(escape - r));
        char next = escape + 1 < r_end ? escape[1] : '\0';
        if (next == '%') {
            luaL_addchar(b, '%');
        } else if (next == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)next)) {
            upshift_pattern_push_capture(m, next - '1', s, e);
            luaL_addvalue(b); /* converts a position capture (an integer) to its digits */
        } else {
            luaL_error(m->L, "invalid use of '%c' in replacement string", '%');
        }
        r = escape + 2;
    }
}

/* Appends the replacement of match [s, e); returns whether it differs from the match. */
static inline int upshift_gsub_add(upshift_matcher *m, luaL_Buffer *b, const char *s, const char *e, int kind) {
    lua_State *L = m->L;
    if (kind == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        lua_call(L, upshift_pattern_push_captures(m, s, e), 1);
    } else if (kind == LUA_TTABLE) {
        upshift_pattern_push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        upshift_gsub_add_template(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the match */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

/* string.gsub(s, pattern, repl [, n]). */
static inline int upshift_string_gsub(lua_State *L) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int kind = lua_type(L, 3);
    lua_Integer max_replacements = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE,
                     3, "string/function/table");
    upshift_meter meter = upshift_meter_start(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    int anchored = lp > 0 && *p == '^';
    if (anchored) {
        p++;
        lp--;
    }
    upshift_matcher m;
    upshift_matcher_init(&m, L, &meter, s, ls, p, lp);
    const char *at = s, *last_end = NULL;
    lua_Integer replaced = 0;
    int changed = 0;
    while (replaced < max_replacements) {
        upshift_matcher_reset(&m);
        const char *end = upshift_pattern_match(&m, at, p);
        if (end != NULL && end != last_end) {
            replaced++;
            changed = upshift_gsub_add(&m, &b, at, end, kind) | changed;
            at = last_end = end;
        } else if (at < m.subject_end) {
            luaL_addchar(&b, *at++);
        } else {
            break;
        }
        if (anchored) break;
    }
    if (changed) {
        luaL_addlstring(&b, at, (size_t)(m.subject_end - at));
        luaL_pushresult(&b);
    } else {
        lua_pushvalue(L, 1);
    }
    lua_pushinteger(L, replaced);
    return 2;
}

/* string.rep(s, n [, sep]): the copies are made by doubling what is already written, and empty copies
   are not made at all (Lua 5.4.4 loops n times even when s and sep are empty). */
static inline int upshift_string_rep(lua_State *L) {
    size_t l, lsep;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    size_t unit = l + lsep;
    /* the string library's own ceiling: a result over INT_MAX bytes is refused before any allocation */
    size_t ceiling = sizeof(size_t) < sizeof(int) ? (size_t)-1 : (size_t)INT_MAX;
    if (unit < l || unit > ceiling / (size_t)n) return luaL_error(L, "resulting string too large");
    size_t total = (size_t)n * l + (size_t)(n - 1) * lsep;
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, total);
    memcpy(out, s, l);
    if (n > 1) {
        /* after the first copy comes (sep s) n - 1 times: write one, then copy what is written */
        char *repeated = out + l;
        size_t written = unit, wanted = total - l;
        memcpy(repeated, sep, lsep);
        memcpy(repeated + lsep, s, l);
        while (written < wanted) {
            size_t chunk = written < wanted - written ? written : wanted - written;
            memcpy(repeated + written, repeated, chunk);
            written += chunk;
        }
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

/* Replaces the functions above in the `string` table on top of the stack (also the strings' __index). */
static inline void upshift_install_string_functions(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"find", upshift_string_find}, {"match", upshift_string_match}, {"gmatch", upshift_string_gmatch},
        {"gsub", upshift_string_gsub}, {"rep", upshift_string_rep},     {NULL, NULL},
    };
    luaL_setfuncs(L, functions, 0);
}

#endif
