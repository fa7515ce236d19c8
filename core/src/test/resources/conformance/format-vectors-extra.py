"""Generates format-vectors-extra.jsonl with CPython 3.11: python3 format-vectors-extra.py 2600 6 > format-vectors-extra.jsonl

Same row format as format-vectors.jsonl, plus values of type "str" ({"type": "str", "value": ...}).
Stresses what a generator of the same kind could produce: unicode fills and digits, grouping with
zero padding, '#'/'z'/'=' forms, conversions, nested {w} specs, subnormals, huge ints, type 'c'.
"""
import json, random, struct, sys, math
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
N = int(sys.argv[1])

def rand_float():
    k = rnd.random()
    if k < 0.25:
        bits = rnd.getrandbits(64)
        x = struct.unpack('<d', struct.pack('<Q', bits))[0]
        return x
    if k < 0.35:
        return rnd.choice([0.0, -0.0, float('nan'), float('inf'), -float('inf'), 5e-324, -5e-324, 2.2250738585072014e-308,
                           1.7976931348623157e308, 1e16, 1e-5, 1e-4, 9.999999999999999e15, 2e23, 0.1, 0.125, 0.375, 2.5, 0.5, 1.5,
                           -0.001, -0.004, -0.0049, 123456789.0, 1e22, 1e23, 9007199254740993.0, 0.3, 2.675, 1.005, 1e100, 1e-100,
                           4.35, 0.045, 0.0005, -1e-7, 999999.5, 9.5, 99.95, 0.99999999])
    if k < 0.5:
        # halfway-ish decimals
        d = rnd.randint(0, 10**rnd.randint(1, 6))
        s = rnd.choice([1, -1])
        return s * d / (10 ** rnd.randint(0, 6)) + rnd.choice([0, 0.5, 0.25, 0.125, 0.005, 0.05])
    if k < 0.6:
        return rnd.choice([1, -1]) * 2.0 ** rnd.randint(-1074, 1023)
    if k < 0.7:
        # subnormals
        return rnd.choice([1, -1]) * rnd.randint(1, 2**52) * 5e-324
    m = rnd.uniform(-10, 10)
    return m * 10 ** rnd.randint(-30, 30)

def rand_int():
    k = rnd.random()
    if k < 0.3: return rnd.randint(-1000, 1000)
    if k < 0.5: return rnd.randint(-2**63, 2**63 - 1)
    if k < 0.6: return rnd.choice([0, -1, 1, 2**63 - 1, -2**63, 0x10ffff, 0x110000, 65, 0xe9, 0x1F600, 0xD800, 10**15, -10**15, 2**53 + 1])
    if k < 0.8: return rnd.randint(0, 0x10ffff)
    return rnd.randint(-10**9, 10**9)

def rand_str():
    return rnd.choice(['', 'a', 'abc', 'héllo', "it's", 'say "hi"', 'tab\there', 'new\nline', '😀x', 'x' * 12, 'é' * 3, '\x7f\x00', '\u2028', 'back\\slash', "both'\""])

FILLS = ['', '', '', '*', '0', 'x', ' ', '_', ',', 'é', '😀', '→', '.', '-', '+', '=', '#', '%', '\u00a0']
def rand_spec():
    if rnd.random() < 0.08: return ''
    s = ''
    if rnd.random() < 0.45:
        s += rnd.choice(FILLS) + rnd.choice('<>^=')
    if rnd.random() < 0.35: s += rnd.choice('+- ')
    if rnd.random() < 0.15: s += 'z'
    if rnd.random() < 0.25: s += '#'
    if rnd.random() < 0.3: s += '0'
    if rnd.random() < 0.55: s += str(rnd.choice([0, 1, 2, 3, 5, 7, 8, 9, 10, 12, 15, 20, 25, 30]))
    if rnd.random() < 0.05: s += rnd.choice(['٣', '١٢'])
    if rnd.random() < 0.3: s += rnd.choice([',', '_', ',', '_', ',_', '_,', ',,'])
    if rnd.random() < 0.5: s += '.' + str(rnd.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 16, 17, 18, 20, 25, 30, 40, 60]))
    if rnd.random() < 0.03: s += '.'
    if rnd.random() < 0.85: s += rnd.choice('bcdeEfFgGnosxX%' + 'eEfFgG%n' + 'dxXob')
    if rnd.random() < 0.02: s += rnd.choice('qzA')
    return s

def sanitize(spec, kind, conv):
    if conv: kind = 'str'
    import re
    if kind == 'str':
        spec = re.sub(r'[bcdeEfFgGnoxX%]$', rnd.choice(['s', '']), spec)
        spec = spec.replace('+', '').replace(' ', '').replace('z', '').replace('#', '').replace('=', '<').replace(',', '').replace('_', '')
    elif kind == 'float':
        spec = re.sub(r'[bcdoxXs]$', rnd.choice(['e', 'f', 'g', '%', 'n', 'E', 'F', 'G', '']), spec)
    else:
        if re.search(r'[bcdoxXn]$', spec) or not re.search(r'[a-zA-Z%]$', spec):
            spec = re.sub(r'\.\d+', '', spec).replace('z', '')
            if spec.endswith('c'): spec = spec.replace('#', '').replace('+', '').replace(' ', '').replace('-', '')
        spec = re.sub(r's$', 'd', spec)
    for bad in [',_', '_,', ',,']:
        spec = spec.replace(bad, ',')
    return spec

PREFIX = ['', 'ckpt/', 'é/', 'a b', '-', '_', 'w{{x}}', '}}', '{{']
def make_row():
    values = {}
    names = ['epoch', 'loss', 'val_loss', 'lr', 's', 'w']
    parts = []
    nfields = rnd.randint(1, 3)
    for _ in range(nfields):
        parts.append(rnd.choice(PREFIX))
        kind = rnd.random()
        name = rnd.choice(names[:5])
        if name not in values:
            t = rnd.random()
            if t < 0.35: values[name] = ('int', rand_int())
            elif t < 0.9: values[name] = ('float', rand_float())
            else: values[name] = ('str', rand_str())
        conv = ''
        if rnd.random() < 0.1: conv = '!' + rnd.choice('rsa')
        if rnd.random() < 0.04:
            values['w'] = ('int', rnd.randint(0, 20)) if rnd.random() < 0.7 else ('str', rnd.choice(['>10', '.3f', '^+9', 'q', '']))
            spec = rnd.choice(['{w}', '>{w}', '{w}.2', '*^{w}'])
        else:
            spec = rand_spec()
            if rnd.random() < 0.6:
                spec = sanitize(spec, values[name][0], conv)
        parts.append('{' + name + conv + (':' + spec if spec or rnd.random() < 0.1 else '') + '}')
    if rnd.random() < 0.03:
        parts.append(rnd.choice(['}', '{', '{}', '{0}', '{epoch!q}', '{epoch!r!}', '{:d}']))
    elif rnd.random() < 0.05:
        parts.append('{missing_metric:.2f}')
    parts.append(rnd.choice(PREFIX))
    tpl = ''.join(parts)
    vals = {}
    for k, (t, v) in values.items():
        vals[k] = v
    try:
        out = tpl.format(**vals)
        res = {'expect': out}
    except KeyError:
        res = {'error': 'KeyError'}
    except (ValueError, IndexError, OverflowError) as e:
        res = {'error': type(e).__name__}
    jv = {}
    for k, (t, v) in values.items():
        if t == 'int': jv[k] = {'type': 'int', 'value': str(v)}
        elif t == 'str': jv[k] = {'type': 'str', 'value': v}
        else:
            h = 'nan' if math.isnan(v) else ('inf' if v == math.inf else ('-inf' if v == -math.inf else v.hex()))
            jv[k] = {'type': 'float', 'hex': h, 'repr': repr(v)}
    row = {'template': tpl, 'values': jv}
    row.update(res)
    return row

def repr_row():
    k = rnd.random()
    if k < 0.5:
        x = struct.unpack('<d', struct.pack('<Q', rnd.getrandbits(63)))[0]
    elif k < 0.8:
        x = 2.0 ** rnd.randint(-1074, 1023)
        if rnd.random() < 0.5:
            x = math.nextafter(x, rnd.choice([0, 1e308]))
    else:
        x = round(rnd.uniform(0, 1000), rnd.randint(0, 6))
    return {'template': '{x}', 'values': {'x': {'type': 'float', 'hex': x.hex(), 'repr': repr(x)}}, 'expect': format(x)}

rows = [make_row() for _ in range(N)] + [repr_row() for _ in range(N // 8)]
for r in rows:
    # A missing field before a bad conversion is a KeyError in CPython but refused at compile time by ckpt.
    if '!q}' in r['template'] or '!r!}' in r['template']:
        continue
    print(json.dumps(r, ensure_ascii=True))
