# Edge cases of GTPyhop 1.1 semantics, recorded for Ensoul's conformance tests.
import sys, io, json, contextlib
sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else '/tmp/gtpyhop')  # a GTPyhop checkout
with contextlib.redirect_stdout(io.StringIO()):
    import gtpyhop
gtpyhop.verbose = 0
out = []
def run(name, state, todo):
    try:
        r = gtpyhop.find_plan(state, todo)
        out.append({'case': name, 'result': [list(a) for a in r] if r is not False else False})
    except Exception as e:
        out.append({'case': name, 'error': ' '.join(str(a) for a in e.args)})

d = gtpyhop.Domain('edge')
def setv(s, v): s.x['v'] = v; return s
def need(s, v):
    if s.x['v'] == v: return s
gtpyhop.declare_actions(setv, need)
# unigoal 'x' methods: first sets 1 then 'need 2' fails; second sets 2
def m_first(s, arg, val): return [('setv', 1), ('need', 2)]
def m_second(s, arg, val): return [('setv', val)]
gtpyhop.declare_unigoal_methods('x', m_first, m_second)
def m_empty(s): return []
def m_false(s): return False
gtpyhop.declare_task_methods('nothing', m_empty)
gtpyhop.declare_task_methods('never', m_false)
def m_liar(s, arg, val): return []
gtpyhop.declare_unigoal_methods('y', m_liar)
s = gtpyhop.State('s0', x={'v': 0}, y={'v': 0})
run('second unigoal method after the first fails', s, [('x', 'v', 2)])
run('empty refinement is success', s, [('nothing',)])
run('false refinement is failure', s, [('never',)])
run('unknown item raises', s, [('fly',)])
run('goal method that does not achieve raises', s, [('y', 'v', 5)])
run('multigoal without multigoal methods fails', s, [gtpyhop.Multigoal('g', x={'v': 3})])
gtpyhop.declare_multigoal_methods(gtpyhop.m_split_multigoal)
run('achieved multigoal splits to nothing', s, [gtpyhop.Multigoal('g', x={'v': 0})])
run('split multigoal', s, [gtpyhop.Multigoal('g', x={'v': 2})])
gtpyhop.verify_goals = False
run('without verification the liar passes', s, [('y', 'v', 5)])
json.dump({'gtpyhop': '1.1', 'cases': out}, sys.stdout, indent=1)
