"""Reference detections for DetectionTests: /usr/bin/python3 ref_detect.py ../../.. (the checkout's root; numpy and Pillow)."""
import sys
import numpy as np
from PIL import Image
from legacy_pt import load
from mtcnn_numpy import detect
root = sys.argv[1]
nets = [load(f'{root}/src/FaceCluster.Vision/Weights/{n}.pt') for n in ('pnet', 'rnet', 'onet')]
for path in [f'{root}/tests/data/images/astronaut.png', f'{root}/tests/data/images/multiface.jpg']:
    a = np.asarray(Image.open(path).convert('RGB'))
    boxes, points = detect(a, nets)
    print(path)
    for b, p in zip(boxes, points):
        print('        [' + ', '.join(f'{v:.4f}' for v in b[:4]) + f', {b[4]:.7f}, ' + ', '.join(f'{v:.4f}' for v in p.ravel()) + '],')
