"""Independent NumPy implementation of facenet-pytorch's MTCNN (models/mtcnn.py, models/utils/detect_face.py),
used to compute the reference values hard-coded in FaceCluster.Vision.Tests (NetworkReferenceTests). Needs numpy:
    /usr/bin/python3 mtcnn_numpy.py ../../../src/FaceCluster.Vision/Weights
Networks run in float64 on float32 weights; box arithmetic is float32 as in facenet-pytorch."""
import math, sys, numpy as np
from legacy_pt import load

def conv2d(x, w, b):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    s = x.strides
    cols = np.lib.stride_tricks.as_strided(x, (n, c, kh, kw, oh, ow), (s[0], s[1], s[2], s[3], s[2], s[3]))
    return np.einsum('nckluv,ockl->nouv', cols, w, optimize=True) + b[None, :, None, None]

def prelu(x, a):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return np.where(x > 0, x, a.reshape(shape) * x)

def maxpool_ceil(x, k, st):
    n, c, h, w = x.shape
    def size(l):
        o = -(-(l - k) // st) + 1
        if (o - 1) * st >= l: o -= 1
        return o
    oh, ow = size(h), size(w)
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * st:min(i * st + k, h), j * st:min(j * st + k, w)].max(axis=(2, 3))
    return out

def softmax1(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)

def dense(x, p, name):
    return x @ p[name + '.weight'].astype(np.float64).T + p[name + '.bias']

def P(p, name): return p[name].astype(np.float64)

def pnet(p, x):
    x = prelu(conv2d(x, P(p, 'conv1.weight'), P(p, 'conv1.bias')), P(p, 'prelu1.weight'))
    x = maxpool_ceil(x, 2, 2)
    x = prelu(conv2d(x, P(p, 'conv2.weight'), P(p, 'conv2.bias')), P(p, 'prelu2.weight'))
    x = prelu(conv2d(x, P(p, 'conv3.weight'), P(p, 'conv3.bias')), P(p, 'prelu3.weight'))
    a = softmax1(conv2d(x, P(p, 'conv4_1.weight'), P(p, 'conv4_1.bias')))
    b = conv2d(x, P(p, 'conv4_2.weight'), P(p, 'conv4_2.bias'))
    return b, a

def rnet(p, x):
    x = maxpool_ceil(prelu(conv2d(x, P(p, 'conv1.weight'), P(p, 'conv1.bias')), P(p, 'prelu1.weight')), 3, 2)
    x = maxpool_ceil(prelu(conv2d(x, P(p, 'conv2.weight'), P(p, 'conv2.bias')), P(p, 'prelu2.weight')), 3, 2)
    x = prelu(conv2d(x, P(p, 'conv3.weight'), P(p, 'conv3.bias')), P(p, 'prelu3.weight'))
    x = x.transpose(0, 3, 2, 1).reshape(x.shape[0], -1)
    x = prelu(dense(x, p, 'dense4'), P(p, 'prelu4.weight'))
    return dense(x, p, 'dense5_2'), softmax1(dense(x, p, 'dense5_1'))

def onet(p, x):
    x = maxpool_ceil(prelu(conv2d(x, P(p, 'conv1.weight'), P(p, 'conv1.bias')), P(p, 'prelu1.weight')), 3, 2)
    x = maxpool_ceil(prelu(conv2d(x, P(p, 'conv2.weight'), P(p, 'conv2.bias')), P(p, 'prelu2.weight')), 3, 2)
    x = maxpool_ceil(prelu(conv2d(x, P(p, 'conv3.weight'), P(p, 'conv3.bias')), P(p, 'prelu3.weight')), 2, 2)
    x = prelu(conv2d(x, P(p, 'conv4.weight'), P(p, 'conv4.bias')), P(p, 'prelu4.weight'))
    x = x.transpose(0, 3, 2, 1).reshape(x.shape[0], -1)
    x = prelu(dense(x, p, 'dense5'), P(p, 'prelu5.weight'))
    return dense(x, p, 'dense6_2'), dense(x, p, 'dense6_3'), softmax1(dense(x, p, 'dense6_1'))

def fixed_input(n, h, w):
    """The test's fixed input: ((31 h + 17 w + 7 c + 13 n) mod 255) / 127.5 - 1, exact in float32."""
    nn_, c, hh, ww = np.meshgrid(np.arange(n), np.arange(3), np.arange(h), np.arange(w), indexing='ij')
    return (((31 * hh + 17 * ww + 7 * c + 13 * nn_) % 255) / 127.5 - 1).astype(np.float32).astype(np.float64)

# ---- detect_face -------------------------------------------------------------------------------------------

def area_resample(img, oh, ow):
    """torch interpolate(mode='area') (adaptive_avg_pool2d) of img [C,H,W] uint8-valued: exact integer window sums, then / kh / kw in float32."""
    c, h, w = img.shape
    ii = np.zeros((c, h + 1, w + 1), np.int64)
    ii[:, 1:, 1:] = img.astype(np.int64).cumsum(1).cumsum(2)
    r0 = (np.arange(oh) * h) // oh; r1 = -(-((np.arange(oh) + 1) * h) // oh)
    c0 = (np.arange(ow) * w) // ow; c1 = -(-((np.arange(ow) + 1) * w) // ow)
    s = ii[:, r1][:, :, c1] - ii[:, r0][:, :, c1] - ii[:, r1][:, :, c0] + ii[:, r0][:, :, c0]
    return (s.astype(np.float32) / (r1 - r0).astype(np.float32)[None, :, None] / (c1 - c0).astype(np.float32)[None, None, :]).astype(np.float32)

def norm(x): return ((x - np.float32(127.5)) * np.float32(0.0078125)).astype(np.float32)

def nms(boxes, scores, thr, method='Union'):
    boxes = boxes.astype(np.float32); scores = scores.astype(np.float32)
    one = np.float32(1 if method == 'Min' else 0)
    x1, y1, x2, y2 = boxes.T
    area = (x2 - x1 + one) * (y2 - y1 + one)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    sup = np.zeros(len(scores), bool); keep = []
    for a, i in enumerate(order):
        if sup[i]: continue
        keep.append(i)
        for j in order[a + 1:]:
            if sup[j]: continue
            w = max(np.float32(0), min(x2[i], x2[j]) - max(x1[i], x1[j]) + one)
            h = max(np.float32(0), min(y2[i], y2[j]) - max(y1[i], y1[j]) + one)
            inter = np.float32(w * h)
            if method == 'Min':
                o = np.float32(inter / min(area[i], area[j]))
                if not (o <= np.float32(thr)): sup[j] = True
            else:
                o = np.float32(inter / (area[i] + area[j] - inter))
                if float(o) > thr: sup[j] = True
    return np.array(keep, int)

def rerec(b):
    b = b.copy()
    h = b[:, 3] - b[:, 1]; w = b[:, 2] - b[:, 0]; l = np.maximum(w, h)
    b[:, 0] = b[:, 0] + w * np.float32(0.5) - l * np.float32(0.5)
    b[:, 1] = b[:, 1] + h * np.float32(0.5) - l * np.float32(0.5)
    b[:, 2] = b[:, 0] + l; b[:, 3] = b[:, 1] + l
    return b

def bbreg(b, reg):
    b = b.copy()
    w = b[:, 2] - b[:, 0] + np.float32(1); h = b[:, 3] - b[:, 1] + np.float32(1)
    b[:, 0] += reg[:, 0] * w; b[:, 1] += reg[:, 1] * h; b[:, 2] += reg[:, 2] * w; b[:, 3] += reg[:, 3] * h
    return b

def crops(img, boxes, size):
    _, h, w = img.shape
    t = np.trunc(boxes[:, :4]).astype(np.int32)
    x = np.maximum(t[:, 0], 1); y = np.maximum(t[:, 1], 1); ex = np.minimum(t[:, 2], w); ey = np.minimum(t[:, 3], h)
    keep = (ey > y - 1) & (ex > x - 1)
    data = [norm(area_resample(img[:, y[k] - 1:ey[k], x[k] - 1:ex[k]], size, size)) for k in np.nonzero(keep)[0]]
    return keep, np.stack(data).astype(np.float64) if data else np.zeros((0, 3, size, size))

def detect(img_hwc, nets, minsize=20, thr=(0.6, 0.7, 0.7), factor=0.709):
    p, r, o = nets
    img = img_hwc.transpose(2, 0, 1).astype(np.float32)
    _, h, w = img.shape
    m = 12.0 / minsize; minl = min(h, w) * m; scale = m; scales = []
    while minl >= 12:
        scales.append(scale); scale *= factor; minl *= factor
    allb = []
    for s in scales:
        hs, ws = int(h * s + 1), int(w * s + 1)
        x = norm(area_resample(img, hs, ws))[None].astype(np.float64)
        reg, prob = pnet(p, x)
        reg = reg[0].astype(np.float32); prob = prob[0, 1].astype(np.float32)
        ys, xs = np.nonzero(prob >= np.float32(thr[0]))
        bb = np.stack([xs, ys], 1).astype(np.float32)
        q1 = np.floor((2 * bb + 1) / np.float32(s)); q2 = np.floor((2 * bb + 12) / np.float32(s))
        boxes = np.concatenate([q1, q2, prob[ys, xs][:, None], reg[:, ys, xs].T], 1).astype(np.float32)
        if len(boxes): allb.append(boxes[nms(boxes[:, :4], boxes[:, 4], 0.5)])
    if not allb: return np.zeros((0, 5), np.float32), np.zeros((0, 5, 2), np.float32)
    boxes = np.concatenate(allb)
    boxes = boxes[nms(boxes[:, :4], boxes[:, 4], 0.7)]
    regw = boxes[:, 2] - boxes[:, 0]; regh = boxes[:, 3] - boxes[:, 1]
    boxes = np.stack([boxes[:, 0] + boxes[:, 5] * regw, boxes[:, 1] + boxes[:, 6] * regh,
                      boxes[:, 2] + boxes[:, 7] * regw, boxes[:, 3] + boxes[:, 8] * regh, boxes[:, 4]], 1).astype(np.float32)
    boxes = rerec(boxes)
    keep, data = crops(img, boxes, 24); boxes = boxes[keep]
    reg, prob = rnet(r, data)
    score = prob[:, 1].astype(np.float32); ok = score > np.float32(thr[1])
    boxes = np.concatenate([boxes[ok, :4], score[ok, None]], 1).astype(np.float32); mv = reg[ok].astype(np.float32)
    pick = nms(boxes[:, :4], boxes[:, 4], 0.7)
    boxes = rerec(bbreg(boxes[pick], mv[pick]))
    keep, data = crops(img, boxes, 48); boxes = boxes[keep]
    reg, lm, prob = onet(o, data)
    score = prob[:, 1].astype(np.float32); ok = score > np.float32(thr[2])
    boxes = np.concatenate([boxes[ok, :4], score[ok, None]], 1).astype(np.float32)
    mv = reg[ok].astype(np.float32); lm = lm[ok].astype(np.float32)
    wi = boxes[:, 2] - boxes[:, 0] + 1; hi = boxes[:, 3] - boxes[:, 1] + 1
    px = wi[:, None] * lm[:, :5] + boxes[:, 0:1] - 1; py = hi[:, None] * lm[:, 5:] + boxes[:, 1:2] - 1
    points = np.stack([px, py], 2)
    boxes = bbreg(boxes, mv)
    pick = nms(boxes[:, :4], boxes[:, 4], 0.7, 'Min')
    return boxes[pick], points[pick]

if __name__ == '__main__':
    d = sys.argv[1]
    nets = [load(f'{d}/{n}.pt') for n in ('pnet', 'rnet', 'onet')]
    np.set_printoptions(precision=7, suppress=True, linewidth=200)
    reg, prob = pnet(nets[0], fixed_input(2, 15, 17))
    print('PNet', reg.shape, prob.shape); print('reg', repr(reg.ravel())); print('prob', repr(prob.ravel()))
    reg, prob = rnet(nets[1], fixed_input(2, 24, 24))
    print('RNet reg', repr(reg.ravel())); print('RNet prob', repr(prob.ravel()))
    reg, lm, prob = onet(nets[2], fixed_input(2, 48, 48))
    print('ONet reg', repr(reg.ravel())); print('ONet lm', repr(lm.ravel())); print('ONet prob', repr(prob.ravel()))
