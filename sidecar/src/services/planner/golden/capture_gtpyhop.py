# Runs GTPyhop's examples and records every find_plan / run_lazy_lookahead call as JSON.
import sys, json, random, io, contextlib, importlib
sys.path.insert(0, '/tmp/gtpyhop'); sys.path.insert(0, '/tmp/gtpyhop/Examples')
sys.setrecursionlimit(100000)
with contextlib.redirect_stdout(io.StringIO()):
    import gtpyhop
random.seed(0)

def ser(x):
    t = type(x).__name__
    if t == 'State': return {'state': x.__name__, 'vars': {k: ser(v) for k, v in vars(x).items() if k != '__name__'}}
    if t == 'Multigoal': return {'multigoal': x.__name__, 'vars': {k: ser(v) for k, v in vars(x).items() if k != '__name__'}}
    if isinstance(x, (list, tuple)): return [ser(y) for y in x]
    if isinstance(x, (set, frozenset)): return {'__set__': sorted(ser(y) for y in x)}
    if isinstance(x, dict):
        if all(isinstance(k, str) for k in x): return {k: ser(v) for k, v in x.items()}
        return {'__map__': [[ser(k), ser(v)] for k, v in x.items()]}
    return x

records = []
current_example = [None]
in_rll = [0]
orig_find_plan = gtpyhop.find_plan
orig_rll = gtpyhop.run_lazy_lookahead

def find_plan(state, todo):
    rec = {'example': current_example[0], 'call': 'find_plan', 'domain': gtpyhop.current_domain.__name__,
           'verbose': gtpyhop.verbose, 'verify_goals': gtpyhop.verify_goals,
           'state': ser(state), 'todo': ser(todo)}
    try:
        res = orig_find_plan(state, todo)
        rec['result'] = ser(res) if res is not False else False
    except Exception as e:
        rec['error'] = ' '.join(str(a) for a in e.args)
    if not in_rll[0]: records.append(rec)
    if 'error' in rec: raise Exception(rec['error'])
    return res

def run_lazy_lookahead(state, todo, max_tries=10):
    saved = dict(gtpyhop.current_domain._command_dict)
    gtpyhop.current_domain._command_dict.clear()   # deterministic: act with the actions themselves
    rec = {'example': current_example[0], 'call': 'run_lazy_lookahead', 'domain': gtpyhop.current_domain.__name__,
           'verbose': gtpyhop.verbose, 'state': ser(state), 'todo': ser(todo), 'max_tries': max_tries}
    in_rll[0] += 1
    try:
        res = orig_rll(state, todo, max_tries)
        rec['final_state'] = ser(res)
    except Exception as e:
        rec['error'] = ' '.join(str(a) for a in e.args)
    finally:
        in_rll[0] -= 1
        gtpyhop.current_domain._command_dict.update(saved)
    records.append(rec)
    return res

gtpyhop.find_plan = find_plan
gtpyhop.pyhop = find_plan
gtpyhop.run_lazy_lookahead = run_lazy_lookahead

name = sys.argv[1]
current_example[0] = name
with contextlib.redirect_stdout(io.StringIO()):
    mod = importlib.import_module(name)
    if hasattr(mod, 'main'):
        mod.main(False)
json.dump({'example': name, 'gtpyhop': '1.1', 'calls': records}, sys.stdout, indent=1)
