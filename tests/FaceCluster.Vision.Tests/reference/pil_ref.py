"""Pillow 9.4 results for CropTests: crop(box).resize((s, s), BILINEAR) of a synthetic pattern (numpy and Pillow)."""
import hashlib, numpy as np
from PIL import Image
def synth(w, h):
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing='ij')
    return ((x * x * 3 + y * 7 + c * 40 + x * y) % 256).astype(np.uint8)
cases = [((400, 300), (37, 41, 237, 260), 160), ((97, 83), (10, 5, 90, 80), 160), ((400, 300), (0, 0, 400, 300), 37), ((200, 200), (20, 30, 180, 190), 160), ((64, 48), (3, 4, 60, 5), 160)]
for (w, h), box, size in cases:
    im = Image.fromarray(synth(w, h), 'RGB')
    out = np.asarray(im.crop(box).resize((size, size), Image.BILINEAR))
    print((w, h), box, size, int(out.astype(np.int64).sum()), hashlib.sha256(out.tobytes()).hexdigest(), out[0, 0].tolist(), out[size // 2, size // 3].tolist())

# Whole-image resizes (RgbImage.Resize) of the 400 x 300 pattern.
for size in [(160, 120), (640, 480), (400, 120)]:
    out = np.asarray(Image.fromarray(synth(400, 300), 'RGB').resize(size, Image.BILINEAR))
    print(size, hashlib.sha256(out.tobytes()).hexdigest())
