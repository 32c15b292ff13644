#ifndef UPSHIFT_CLUA_PATTERN_H
#define UPSHIFT_CLUA_PATTERN_H
/* Included by shim.h after meter.h. */
#include <ctype.h>

/* ---- Lua 5.4 patterns, matched under a step meter -------------------------------------------------------
   Same language and results as the string library's matcher (a backtracking matcher: greedy '*' and '+'
   try the longest run first, '-' the shortest), but every item tried at a subject position is a metered
   step, so `("a"):rep(30000):find(".-.-.-.-b")` ends at the run's budget or deadline. */

#define UPSHIFT_PATTERN_MAX_CAPTURES 32 /* as LUA_MAXCAPTURES */
#define UPSHIFT_PATTERN_MAX_DEPTH 200   /* nested items before "pattern too complex", as Lua's matcher */
#define UPSHIFT_CAPTURE_OPEN (-1)
#define UPSHIFT_CAPTURE_POSITION (-2)

typedef struct upshift_capture {
    const char *start;
    ptrdiff_t length; /* or UPSHIFT_CAPTURE_OPEN / UPSHIFT_CAPTURE_POSITION */
} upshift_capture;

typedef struct upshift_matcher {
    lua_State *L;
    upshift_meter *meter;
    const char *subject;
    const char *subject_end;
    const char *pattern_end;
    int depth_left;
    int captures_count;
    upshift_capture captures[UPSHIFT_PATTERN_MAX_CAPTURES];
} upshift_matcher;

static inline void upshift_matcher_init(upshift_matcher *m, lua_State *L, upshift_meter *meter, const char *s,
                                        size_t ls, const char *p, size_t lp) {
    m->L = L;
    m->meter = meter;
    m->subject = s;
    m->subject_end = s + ls;
    m->pattern_end = p + lp;
    m->depth_left = UPSHIFT_PATTERN_MAX_DEPTH;
    m->captures_count = 0;
}

/* Forgets the captures of a failed attempt before the next subject position is tried. */
static inline void upshift_matcher_reset(upshift_matcher *m) {
    m->depth_left = UPSHIFT_PATTERN_MAX_DEPTH;
    m->captures_count = 0;
}

/* Whether byte `c` is in class letter `letter` (%a, %D, ...); any other escaped byte stands for itself. */
static inline int upshift_pattern_class(int c, int letter) {
    int in;
    switch (tolower(letter)) {
    case 'a': in = isalpha(c); break;
    case 'c': in = iscntrl(c); break;
    case 'd': in = isdigit(c); break;
    case 'g': in = isgraph(c); break;
    case 'l': in = islower(c); break;
    case 'p': in = ispunct(c); break;
    case 's': in = isspace(c); break;
    case 'u': in = isupper(c); break;
    case 'w': in = isalnum(c); break;
    case 'x': in = isxdigit(c); break;
    case 'z': in = c == 0; break; /* deprecated in Lua 5.2, still understood */
    default: return letter == c;
    }
    in = in != 0;
    return isupper(letter) ? !in : in;
}

/* Whether byte `c` is in the set that opens at `open` ('[') and closes at `close` (its ']'). */
static inline int upshift_pattern_in_set(int c, const char *open, const char *close) {
    const char *p = open + 1;
    int when_found = 1;
    if (*p == '^') {
        when_found = 0;
        p++;
    }
    for (; p < close; p++) {
        if (*p == '%') {
            p++;
            if (upshift_pattern_class(c, (unsigned char)*p)) return when_found;
        } else if (p[1] == '-' && p + 2 < close) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return when_found;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return when_found;
        }
    }
    return !when_found;
}

/* Where the single-byte item at `p` ends: after `%x`, after a whole `[...]` set, or after one byte. The first
   byte of a set (after an optional '^') is always a member, so `[]]` is the set of ']'. */
static inline const char *upshift_pattern_item_end(upshift_matcher *m, const char *p) {
    const char *end = m->pattern_end;
    if (*p == '%') {
        if (p + 1 >= end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 2;
    }
    if (*p != '[') return p + 1;
    const char *q = p + 1;
    if (q < end && *q == '^') q++;
    do {
        if (q >= end) luaL_error(m->L, "malformed pattern (missing ']')");
        if (*q++ == '%' && q < end) q++;
    } while (q >= end || *q != ']');
    return q + 1;
}

/* Whether the item [p, item_end) matches the byte at `s`. */
static inline int upshift_pattern_single(upshift_matcher *m, const char *s, const char *p, const char *item_end) {
    if (s >= m->subject_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case '%': return upshift_pattern_class(c, (unsigned char)p[1]);
    case '[': return upshift_pattern_in_set(c, p, item_end - 1);
    default: return (unsigned char)*p == c;
    }
}

static inline const char *upshift_pattern_match(upshift_matcher *m, const char *s, const char *p);

/* `%bxy`: from an x at `s` to the y that balances it. */
static inline const char *upshift_pattern_balance(upshift_matcher *m, const char *s, const char *p) {
    if (p + 1 >= m->pattern_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->subject_end || *s != p[0]) return NULL;
    char open = p[0], close = p[1];
    int depth = 1;
    while (++s < m->subject_end) {
        upshift_meter_tick(m->meter);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

/* `%1`..`%9`: the text of an earlier, closed capture again. */
static inline const char *upshift_pattern_backref(upshift_matcher *m, const char *s, int digit) {
    int i = digit - '1';
    if (i < 0 || i >= m->captures_count || m->captures[i].length == UPSHIFT_CAPTURE_OPEN)
        luaL_error(m->L, "invalid capture index %%%d", i + 1);
    ptrdiff_t length = m->captures[i].length;
    if (length < 0) return NULL; /* a position capture has no text to repeat */
    upshift_meter_add(m->meter, 1 + length / 64);
    if (m->subject_end - s < length || memcmp(m->captures[i].start, s, (size_t)length) != 0) return NULL;
    return s + length;
}

static inline const char *upshift_pattern_open(upshift_matcher *m, const char *s, const char *p, ptrdiff_t kind) {
    if (m->captures_count >= UPSHIFT_PATTERN_MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->captures[m->captures_count].start = s;
    m->captures[m->captures_count].length = kind;
    m->captures_count++;
    const char *end = upshift_pattern_match(m, s, p);
    if (end == NULL) m->captures_count--;
    return end;
}

static inline const char *upshift_pattern_close(upshift_matcher *m, const char *s, const char *p) {
    int i = m->captures_count - 1;
    while (i >= 0 && m->captures[i].length != UPSHIFT_CAPTURE_OPEN) i--;
    if (i < 0) luaL_error(m->L, "invalid pattern capture");
    m->captures[i].length = s - m->captures[i].start;
    const char *end = upshift_pattern_match(m, s, p);
    if (end == NULL) m->captures[i].length = UPSHIFT_CAPTURE_OPEN;
    return end;
}

/* `x*` and `x+`: the longest run of x first, then one shorter at a time. */
static inline const char *upshift_pattern_greedy(upshift_matcher *m, const char *s, const char *p,
                                                 const char *item_end) {
    ptrdiff_t run = 0;
    while (upshift_pattern_single(m, s + run, p, item_end)) {
        upshift_meter_tick(m->meter);
        run++;
    }
    for (; run >= 0; run--) {
        const char *end = upshift_pattern_match(m, s + run, item_end + 1);
        if (end != NULL) return end;
    }
    return NULL;
}

/* `x-`: the shortest run of x first, then one longer at a time. */
static inline const char *upshift_pattern_lazy(upshift_matcher *m, const char *s, const char *p,
                                               const char *item_end) {
    for (;;) {
        const char *end = upshift_pattern_match(m, s, item_end + 1);
        if (end != NULL) return end;
        if (!upshift_pattern_single(m, s, p, item_end)) return NULL;
        s++;
    }
}

/* `%f[set]`: the empty string where the previous byte is not in the set and the next one is (the
   subject's ends count as byte 0). */
static inline int upshift_pattern_frontier(upshift_matcher *m, const char *s, const char *open,
                                           const char *item_end) {
    int previous = s == m->subject ? 0 : (unsigned char)s[-1];
    int next = s < m->subject_end ? (unsigned char)*s : 0;
    return !upshift_pattern_in_set(previous, open, item_end - 1) && upshift_pattern_in_set(next, open, item_end - 1);
}

/* Matches pattern [p, pattern_end) at `s`: the end of the match, or NULL. Items that end the pattern loop
   here; captures and quantifiers recurse, at most UPSHIFT_PATTERN_MAX_DEPTH deep. */
static inline const char *upshift_pattern_match(upshift_matcher *m, const char *s, const char *p) {
    if (m->depth_left-- == 0) luaL_error(m->L, "pattern too complex");
    const char *end = m->pattern_end;
    while (s != NULL && p < end) {
        upshift_meter_tick(m->meter);
        if (*p == '(') {
            if (p + 1 < end && p[1] == ')') s = upshift_pattern_open(m, s, p + 2, UPSHIFT_CAPTURE_POSITION);
            else s = upshift_pattern_open(m, s, p + 1, UPSHIFT_CAPTURE_OPEN);
            break;
        }
        if (*p == ')') {
            s = upshift_pattern_close(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == end) {
            if (s != m->subject_end) s = NULL;
            break;
        }
        if (*p == '%' && p + 1 < end) {
            char kind = p[1];
            if (kind == 'b') {
                s = upshift_pattern_balance(m, s, p + 2);
                p += 4;
                continue;
            }
            if (kind == 'f') {
                const char *open = p + 2;
                if (open >= end || *open != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *item_end = upshift_pattern_item_end(m, open);
                if (!upshift_pattern_frontier(m, s, open, item_end)) s = NULL;
                p = item_end;
                continue;
            }
            if (isdigit((unsigned char)kind)) {
                s = upshift_pattern_backref(m, s, (unsigned char)kind);
                p += 2;
                continue;
            }
        }
        const char *item_end = upshift_pattern_item_end(m, p);
        char quantifier = item_end < end ? *item_end : '\0';
        if (!upshift_pattern_single(m, s, p, item_end)) {
            if (quantifier == '*' || quantifier == '?' || quantifier == '-') {
                p = item_end + 1; /* zero occurrences will do */
            } else {
                s = NULL;
            }
            continue;
        }
        if (quantifier == '?') {
            const char *with = upshift_pattern_match(m, s + 1, item_end + 1);
            if (with != NULL) {
                s = with;
                break;
            }
            p = item_end + 1;
        } else if (quantifier == '+') {
            s = upshift_pattern_greedy(m, s + 1, p, item_end);
            break;
        } else if (quantifier == '*') {
            s = upshift_pattern_greedy(m, s, p, item_end);
            break;
        } else if (quantifier == '-') {
            s = upshift_pattern_lazy(m, s, p, item_end);
            break;
        } else {
            s++;
            p = item_end;
        }
    }
    m->depth_left++;
    return s;
}

/* Pushes capture `i`; with no captures, capture 0 is the whole match [s, e). */
static inline void upshift_pattern_push_capture(upshift_matcher *m, int i, const char *s, const char *e) {
    if (i >= m->captures_count) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    upshift_capture capture = m->captures[i];
    if (capture.length == UPSHIFT_CAPTURE_OPEN) luaL_error(m->L, "unfinished capture");
    if (capture.length == UPSHIFT_CAPTURE_POSITION) {
        lua_pushinteger(m->L, (lua_Integer)(capture.start - m->subject) + 1);
    } else {
        lua_pushlstring(m->L, capture.start, (size_t)capture.length);
    }
}

/* Pushes every capture (or the whole match when there are none and `s` is given); returns how many. */
static inline int upshift_pattern_push_captures(upshift_matcher *m, const char *s, const char *e) {
    int count = (m->captures_count == 0 && s != NULL) ? 1 : m->captures_count;
    luaL_checkstack(m->L, count, "too many captures");
    for (int i = 0; i < count; i++) upshift_pattern_push_capture(m, i, s, e);
    return count;
}

#endif
