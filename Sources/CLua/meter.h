#ifndef UPSHIFT_CLUA_METER_H
#define UPSHIFT_CLUA_METER_H
/* Included by shim.h after the control block. */

/* ---- Step meter: the count hook never fires inside a C function, so library functions that loop in C
   (pattern matching, table shifting) count their own steps and stop the run as the hook would. ---------- */

/* Steps between two looks at the budget and the clock (a look costs a clock read). */
#define UPSHIFT_METER_CHUNK 4096
/* Steps charged as one instruction: a step (a pattern item tried at one position, one element moved) is
   a fraction of the work of a VM instruction. */
#define UPSHIFT_STEPS_PER_INSTRUCTION 8

typedef struct upshift_meter {
    lua_State *L;
    upshift_control *control;
    long long steps; /* not yet charged */
} upshift_meter;

/* A meter for one library call; a run that already stopped stops here too. */
static inline upshift_meter upshift_meter_start(lua_State *L) {
    upshift_meter m;
    m.L = L;
    m.control = upshift_control_of(L);
    m.steps = 0;
    if (m.control->stop != UPSHIFT_STOP_NONE) upshift_raise_stop(L, 1);
    return m;
}

/* Charges the steps so far to the budget and reads the clock; raises the run's stop error when over. */
static inline void upshift_meter_settle(upshift_meter *m) {
    upshift_control *c = m->control;
    long long charge = m->steps / UPSHIFT_STEPS_PER_INSTRUCTION;
    m->steps -= charge * UPSHIFT_STEPS_PER_INSTRUCTION;
    if (c->stop == UPSHIFT_STOP_NONE) {
        c->instructions_left -= charge;
        c->stop = upshift_stop_due(c);
    }
    if (c->stop != UPSHIFT_STOP_NONE) upshift_raise_stop(m->L, 1);
}

static inline void upshift_meter_add(upshift_meter *m, long long steps) {
    m->steps += steps;
    if (m->steps >= UPSHIFT_METER_CHUNK) upshift_meter_settle(m);
}

static inline void upshift_meter_tick(upshift_meter *m) {
    if (++m->steps >= UPSHIFT_METER_CHUNK) upshift_meter_settle(m);
}

#endif
