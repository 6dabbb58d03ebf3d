"""Reads a legacy-format (pre-zip) PyTorch state dict with the standard library and numpy only."""
import pickle, struct, collections, numpy as np, sys

DT = {'FloatStorage': np.float32, 'DoubleStorage': np.float64, 'LongStorage': np.int64, 'IntStorage': np.int32}

class _Storage:
    def __init__(self, name): self.name = name

def load(path):
    storages = {}
    class U(pickle.Unpickler):
        def find_class(self, mod, name):
            if mod == 'collections' and name == 'OrderedDict': return collections.OrderedDict
            if mod == 'torch._utils' and name == '_rebuild_tensor_v2':
                return lambda st, off, size, stride, *a: ('T', st, off, size, stride)
            if mod == 'torch' and name.endswith('Storage'): return _Storage(name)
            raise pickle.UnpicklingError(f'{mod}.{name}')
        def persistent_load(self, pid):
            typename, st, key, loc, size = pid[:5]
            storages.setdefault(key, (st.name, size))
            return key
    with open(path, 'rb') as f:
        magic = pickle.load(f); proto = pickle.load(f); sysinfo = pickle.load(f)
        assert magic == 0x1950a86a20f9469cfc6c, magic
        sd = U(f).load()
        keys = pickle.load(f)
        data = {}
        for k in keys:
            name, size = storages[k]
            n = struct.unpack('<q', f.read(8))[0]
            dt = DT[name]
            data[k] = np.frombuffer(f.read(n * np.dtype(dt).itemsize), dtype=dt)
    out = collections.OrderedDict()
    for name, (_, key, off, size, stride) in sd.items():
        st = data[key]
        out[name] = np.lib.stride_tricks.as_strided(st[off:], shape=size, strides=[s * st.itemsize for s in stride]).copy()
    return out

if __name__ == '__main__':
    for p in sys.argv[1:]:
        sd = load(p)
        for k, v in sd.items(): print(p.split('/')[-1], k, v.shape, v.dtype, float(v.ravel()[0]))
