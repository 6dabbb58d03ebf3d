using SkiaSharp;

namespace FaceCluster.Synthetic;

/// <summary>
/// Draws a <see cref="FaceScene"/> as a photograph-like portrait with SkiaSharp: background, shoulders and neck,
/// hair, ears, a shaded face (gradients for cheeks, nose, eye sockets and jaw shadow), eyes with whites, iris, pupil,
/// highlights and lids, brows, a nose with nostrils, two-tone lips, teeth when the mouth opens, and optional glasses.
/// The expression moves brows, lids, mouth corners and jaw; <see cref="Layout"/> gives the same geometry as numbers.
/// Rendering is a pure function of the scene (CPU raster, no randomness).
/// </summary>
public static class FaceRenderer
{
    /// <summary>The geometry (landmarks and face box) of <paramref name="scene"/>, without drawing it.</summary>
    public static FaceGeometry Layout(FaceScene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return new FaceLayout(scene).Geometry();
    }

    /// <summary>Draws <paramref name="scene"/> into a new bitmap of its size.</summary>
    public static SKBitmap Render(FaceScene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var bitmap = new SKBitmap(new SKImageInfo(scene.Width, scene.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        Draw(canvas, scene);
        canvas.Flush();
        return bitmap;
    }

    /// <summary>Draws <paramref name="scene"/> and encodes it as a colour JPEG.</summary>
    public static byte[] RenderJpeg(FaceScene scene, int quality = 90)
    {
        using var bitmap = Render(scene);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    /// <summary>Draws <paramref name="scene"/> and encodes it as PNG (for inspection).</summary>
    public static byte[] RenderPng(FaceScene scene)
    {
        using var bitmap = Render(scene);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Draws <paramref name="scene"/> on <paramref name="canvas"/>, whose origin is the image's top left.</summary>
    public static void Draw(SKCanvas canvas, FaceScene scene)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        ArgumentNullException.ThrowIfNull(scene);
        new Painter(canvas, new FaceLayout(scene)).Paint();
    }

    private sealed class Painter(SKCanvas canvas, FaceLayout f)
    {
        private readonly SKCanvas _canvas = canvas;
        private readonly FaceLayout _f = f;
        private readonly FaceScene _scene = f.Scene;
        private readonly FaceIdentity _id = f.Scene.Identity;

        // Direction of the light in face coordinates (unit vector pointing toward the light).
        private readonly float _lx = (float)Math.Cos((f.Scene.LightAngle + f.RollDegrees) * Math.PI / 180);
        private readonly float _ly = (float)-Math.Sin((f.Scene.LightAngle + f.RollDegrees) * Math.PI / 180);

        public void Paint()
        {
            DrawBackground();
            _canvas.Save();
            _canvas.Translate((float)_scene.CentreX, (float)_scene.CentreY);
            _canvas.RotateDegrees((float)_f.RollDegrees);
            _canvas.Scale((float)_scene.Scale);
            DrawTorso();
            DrawHairBack();
            DrawNeck();
            DrawEars();
            DrawFace();
            DrawEyes();
            DrawBrows();
            DrawNose();
            DrawMouth();
            DrawHairFront();
            if (_id.Glasses)
            {
                DrawGlasses();
            }

            _canvas.Restore();
            DrawLightOverlay();
        }

        private void DrawPath(SKPathBuilder builder, SKPaint paint)
        {
            using var path = builder.Snapshot();
            _canvas.DrawPath(path, paint);
        }

        private void ClipPath(SKPathBuilder builder, bool antialias)
        {
            using var path = builder.Snapshot();
            _canvas.ClipPath(path, SKClipOperation.Intersect, antialias);
        }

        private SKPoint P(double x, double y, double depth)
        {
            var p = _f.Yaw(x, y, depth);
            return new SKPoint((float)p.X, (float)p.Y);
        }

        private static SKColor C(Rgb c, int alpha = 255) => new(c.R, c.G, c.B, (byte)Math.Clamp(alpha, 0, 255));

        private static Rgb Shade(Rgb c, double factor) => factor <= 1
            ? Rgb.From(c.R * factor, c.G * factor, c.B * factor)
            : Rgb.From(c.R + (255 - c.R) * (factor - 1), c.G + (255 - c.G) * (factor - 1), c.B + (255 - c.B) * (factor - 1));

        private static Rgb Mix(Rgb a, Rgb b, double t) =>
            Rgb.From(a.R + (b.R - a.R) * t, a.G + (b.G - a.G) * t, a.B + (b.B - a.B) * t);

        private static SKPaint Fill(SKColor colour) => new() { IsAntialias = true, Color = colour, Style = SKPaintStyle.Fill };

        private static SKPaint Stroke(SKColor colour, double width) => new()
        {
            IsAntialias = true, Color = colour, Style = SKPaintStyle.Stroke, StrokeWidth = (float)width, StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round,
        };

        private void FillRadial(SKPathBuilder? clip, SKPoint centre, double radius, SKColor inner, SKColor outer, double scaleY = 1)
        {
            using var paint = new SKPaint { IsAntialias = true };
            using var shader = SKShader.CreateRadialGradient(
                centre, (float)radius, [inner, outer], null, SKShaderTileMode.Clamp, SKMatrix.CreateScale(1, (float)scaleY, centre.X, centre.Y));
            paint.Shader = shader;
            if (clip is null)
            {
                _canvas.DrawOval(centre, new SKSize((float)radius, (float)(radius * scaleY)), paint);
            }
            else
            {
                DrawPath(clip, paint);
            }
        }

        private void DrawBackground()
        {
            var bg = _scene.Background;
            var w = _scene.Width;
            var h = _scene.Height;
            using (var paint = Fill(C(bg.Colour)))
            {
                _canvas.DrawRect(0, 0, w, h, paint);
            }

            var unit = Math.Max(w, h) / 9f;
            using var pattern = Fill(C(bg.Secondary));
            switch (bg.Pattern)
            {
                case BackgroundPattern.Stripes:
                    for (var x = 0f; x < w; x += unit)
                    {
                        _canvas.DrawRect(x, 0, unit / 2, h, pattern);
                    }

                    break;
                case BackgroundPattern.Dots:
                    for (var y = unit / 2; y < h + unit; y += unit)
                    {
                        for (var x = unit / 2; x < w + unit; x += unit)
                        {
                            _canvas.DrawCircle(x + ((int)(y / unit) % 2) * unit / 2, y, unit / 5, pattern);
                        }
                    }

                    break;
                case BackgroundPattern.Checks:
                    for (var y = 0; y * unit < h; y++)
                    {
                        for (var x = y % 2; x * unit < w; x += 2)
                        {
                            _canvas.DrawRect(x * unit, y * unit, unit, unit, pattern);
                        }
                    }

                    break;
                case BackgroundPattern.Gradient:
                    using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, h), [C(bg.Colour), C(bg.Secondary)], SKShaderTileMode.Clamp))
                    using (var paint = new SKPaint { Shader = shader })
                    {
                        _canvas.DrawRect(0, 0, w, h, paint);
                    }

                    break;
                default:
                    break;
            }
        }

        private void DrawLightOverlay()
        {
            // Soft falloff of the light across the whole picture, brighter toward the light.
            var w = _scene.Width;
            var h = _scene.Height;
            var cx = (float)(_scene.CentreX + Math.Cos(_scene.LightAngle * Math.PI / 180) * w * 0.35);
            var cy = (float)(_scene.CentreY - Math.Sin(_scene.LightAngle * Math.PI / 180) * h * 0.35);
            var strength = (byte)(40 + 50 * _scene.LightStrength);
            using var shader = SKShader.CreateRadialGradient(
                new SKPoint(cx, cy), Math.Max(w, h) * 1.1f, [new SKColor(255, 250, 240, 25), new SKColor(0, 0, 0, 0), new SKColor(0, 0, 0, strength)], [0, 0.45f, 1], SKShaderTileMode.Clamp);
            using var paint = new SKPaint { Shader = shader };
            _canvas.DrawRect(0, 0, w, h, paint);
        }

        private void DrawTorso()
        {
            var clothing = _scene.Clothing;
            using var path = new SKPathBuilder();
            path.MoveTo(-0.48f, 1.55f);
            path.CubicTo(-0.65f, 1.85f, -1.3f, 1.85f, -1.8f, 2.05f);
            path.CubicTo(-2.3f, 2.3f, -2.45f, 2.9f, -2.55f, 3.6f);
            path.LineTo(-2.8f, 12f);
            path.LineTo(2.8f, 12f);
            path.LineTo(2.55f, 3.6f);
            path.CubicTo(2.45f, 2.9f, 2.3f, 2.3f, 1.8f, 2.05f);
            path.CubicTo(1.3f, 1.85f, 0.65f, 1.85f, 0.48f, 1.55f);
            path.Close();
            using (var shader = SKShader.CreateLinearGradient(
                new SKPoint(3 * _lx, 1.8f + _ly), new SKPoint(-3 * _lx, 3.5f), [C(Shade(clothing, 1.15)), C(clothing), C(Shade(clothing, 0.6))], [0, 0.5f, 1], SKShaderTileMode.Clamp))
            using (var paint = new SKPaint { IsAntialias = true, Shader = shader })
            {
                DrawPath(path, paint);
            }

            // Folds of the fabric.
            using var fold = Stroke(C(Shade(clothing, 0.7), 110), 0.05);
            using var foldPath = new SKPathBuilder();
            foldPath.MoveTo(-1.4f, 2.2f);
            foldPath.QuadTo(-1.1f, 2.8f, -1.25f, 3.6f);
            foldPath.MoveTo(1.4f, 2.2f);
            foldPath.QuadTo(1.1f, 2.8f, 1.25f, 3.6f);
            DrawPath(foldPath, fold);
        }

        private void DrawNeck()
        {
            var skin = _id.Skin;
            var top = (float)(_f.ChinRestY - 0.7);
            using var neck = new SKPathBuilder();
            neck.MoveTo(-0.45f, top);
            neck.LineTo(-0.47f, 1.55f);
            neck.QuadTo(0, 2.15f, 0.47f, 1.55f);
            neck.LineTo(0.45f, top);
            neck.Close();
            using (var paint = Fill(C(Shade(skin, 0.9))))
            {
                DrawPath(neck, paint);
            }

            // The jaw's shadow on the neck.
            var chin = (float)_f.ChinY;
            using (var shader = SKShader.CreateLinearGradient(
                new SKPoint(0, chin - 0.15f), new SKPoint(0, chin + 0.5f), [new SKColor(40, 20, 10, 150), new SKColor(40, 20, 10, 0)], SKShaderTileMode.Clamp))
            using (var paint = new SKPaint { IsAntialias = true, Shader = shader })
            {
                DrawPath(neck, paint);
            }

            // Collar line of the clothing.
            using var collar = Stroke(C(Shade(_scene.Clothing, 0.65)), 0.06);
            using var line = new SKPathBuilder();
            line.MoveTo(-0.5f, 1.56f);
            line.QuadTo(0, 2.18f, 0.5f, 1.56f);
            DrawPath(line, collar);
        }

        private void DrawEars()
        {
            var y = (float)((_f.EyeY + _f.NoseTipY) / 2);
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                var centre = P(side * 1.0, y, 0);
                using (var paint = Fill(C(Shade(_id.Skin, 0.9))))
                {
                    _canvas.DrawOval(centre, new SKSize(0.15f, 0.27f), paint);
                }

                var inner = new SKPoint(centre.X + side * 0.02f, centre.Y);
                FillRadial(null, inner, 0.09, C(Shade(_id.Skin, 0.6), 170), C(Shade(_id.Skin, 0.8), 0), 1.9);
            }
        }

        private SKPathBuilder FacePath()
        {
            var keys = _f.OutlineKeys();
            var path = new SKPathBuilder();
            path.MoveTo((float)keys[0].X, (float)keys[0].Y);
            foreach (var (c1, c2, end) in FaceLayout.SmoothClosed(keys))
            {
                path.CubicTo((float)c1.X, (float)c1.Y, (float)c2.X, (float)c2.Y, (float)end.X, (float)end.Y);
            }

            path.Close();
            return path;
        }

        private void DrawFace()
        {
            var skin = _id.Skin;
            var s = _scene.LightStrength;
            using var face = FacePath();

            // Base shading: lit toward the light, darker at the edges.
            var centre = new SKPoint(0.35f * _lx, (float)(_f.EyeY + 0.15 + 0.3 * _ly));
            using (var shader = SKShader.CreateRadialGradient(
                centre, (float)(1.75 * _id.FaceLength), [C(Shade(skin, 1.06 + 0.08 * s)), C(skin), C(Shade(skin, 0.72 - 0.12 * s))], [0, 0.5f, 1], SKShaderTileMode.Clamp))
            using (var paint = new SKPaint { IsAntialias = true, Shader = shader })
            {
                DrawPath(face, paint);
            }

            _canvas.Save();
            ClipPath(face, antialias: true);

            // Cheeks: warmer, raised with a smile.
            var blush = Mix(skin, _id.Lips, 0.45);
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                var cheekY = _f.NoseTipY - 0.02 - 0.08 * _f.Cheek - 0.04 * _f.Smile;
                FillRadial(null, P(side * 0.56, cheekY, 0.45), 0.34, C(blush, (int)(55 + 60 * _f.Cheek)), C(blush, 0), 0.8);
                FillRadial(null, P(side * 0.5 + 0.1 * _lx, cheekY - 0.08, 0.5), 0.2, C(Shade(skin, 1.12), (int)(40 + 80 * Math.Max(_f.Cheek, _f.Smile) * (0.6 + 0.4 * side * _lx))), C(skin, 0), 0.8);
            }

            // Eye sockets.
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                FillRadial(null, P(side * (_f.EyeX + 0.02), _f.EyeY - 0.04, 0.5), 0.33, C(Shade(skin, 0.62), 120), C(skin, 0), 0.75);
            }

            // Forehead highlight and temples.
            FillRadial(null, P(0.25 * _lx, _f.TopY + 0.55, 0.3), 0.5, C(Shade(skin, 1.15), 70), C(skin, 0), 0.6);

            // Jaw and lower cheek shadow, on the side away from the light.
            var jawShadow = new SKPoint(-0.8f * _lx, (float)(_f.MouthY + 0.1));
            FillRadial(null, jawShadow, 0.75, C(Shade(skin, 0.55), (int)(60 + 70 * s)), C(skin, 0), 1.2);
            using (var shader = SKShader.CreateLinearGradient(
                new SKPoint(0, (float)(_f.ChinY - 0.45)), new SKPoint(0, (float)_f.ChinY), [C(skin, 0), C(Shade(skin, 0.7), 90)], SKShaderTileMode.Clamp))
            using (var paint = new SKPaint { IsAntialias = true, Shader = shader })
            {
                DrawPath(face, paint);
            }

            _canvas.Restore();

            // The outline of the jaw, slightly darker.
            using var edge = Stroke(C(Shade(skin, 0.6), 70), 0.03);
            DrawPath(face, edge);
        }

        private (SKPathBuilder Upper, SKPathBuilder Lower, SKPathBuilder Whole) EyePaths(int side)
        {
            var cx = side * _f.EyeX;
            var hw = _f.EyeHalfWidth;
            var inner = P(cx - side * hw, _f.EyeY + 0.012, 0.6);
            var outer = P(cx + side * hw, _f.EyeY - 0.01, 0.6);
            var up = _f.EyeUpper / 0.75;
            var down = _f.EyeLower / 0.75;
            var u1 = P(cx - side * hw * 0.45, _f.EyeY - up, 0.6);
            var u2 = P(cx + side * hw * 0.55, _f.EyeY - up * 0.95, 0.6);
            var l1 = P(cx + side * hw * 0.5, _f.EyeY + down, 0.6);
            var l2 = P(cx - side * hw * 0.45, _f.EyeY + down, 0.6);
            var upper = new SKPathBuilder();
            upper.MoveTo(inner);
            upper.CubicTo(u1, u2, outer);
            var lower = new SKPathBuilder();
            lower.MoveTo(outer);
            lower.CubicTo(l1, l2, inner);
            var whole = new SKPathBuilder();
            whole.MoveTo(inner);
            whole.CubicTo(u1, u2, outer);
            whole.CubicTo(l1, l2, inner);
            whole.Close();
            return (upper, lower, whole);
        }

        private void DrawEyes()
        {
            var skin = _id.Skin;
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                var (upper, lower, whole) = EyePaths(side);
                using (upper)
                using (lower)
                using (whole)
                {
                    var cx = side * _f.EyeX;
                    var centre = P(cx, _f.EyeY, 0.6);

                    // Lid crease above the eye.
                    using (var crease = Stroke(C(Shade(skin, 0.6), 110), 0.022))
                    using (var creasePath = new SKPathBuilder())
                    {
                        var lift = _f.EyeUpper + 0.06;
                        creasePath.MoveTo(P(cx - side * _f.EyeHalfWidth * 0.85, _f.EyeY - 0.02, 0.6));
                        creasePath.QuadTo(P(cx + side * 0.02, _f.EyeY - 1.5 * lift, 0.6), P(cx + side * _f.EyeHalfWidth * 1.05, _f.EyeY - 0.03, 0.6));
                        DrawPath(creasePath, crease);
                    }

                    // Whites, iris, pupil and highlight, clipped to the opening.
                    using (var shader = SKShader.CreateRadialGradient(centre, (float)(_f.EyeHalfWidth * 1.05), [new SKColor(246, 242, 238), new SKColor(222, 212, 206), new SKColor(170, 150, 145)], [0, 0.6f, 1], SKShaderTileMode.Clamp))
                    using (var paint = new SKPaint { IsAntialias = true, Shader = shader })
                    {
                        DrawPath(whole, paint);
                    }

                    _canvas.Save();
                    ClipPath(whole, antialias: true);
                    var iris = P(cx + _f.GazeX, _f.EyeY + _f.GazeY, 0.65);
                    var r = (float)_f.IrisRadius;
                    using (var shader = SKShader.CreateRadialGradient(iris, r, [C(Shade(_id.Iris, 1.3)), C(_id.Iris), C(Shade(_id.Iris, 0.45))], [0, 0.65f, 1], SKShaderTileMode.Clamp))
                    using (var paint = new SKPaint { IsAntialias = true, Shader = shader })
                    {
                        _canvas.DrawCircle(iris, r, paint);
                    }

                    using (var pupil = Fill(new SKColor(12, 8, 8)))
                    {
                        _canvas.DrawCircle(iris, r * 0.45f, pupil);
                    }

                    using (var glint = Fill(new SKColor(255, 255, 255, 220)))
                    {
                        _canvas.DrawCircle(iris.X + (0.3f * _lx - 0.1f) * r, iris.Y + (0.35f * _ly - 0.15f) * r, r * 0.2f, glint);
                    }

                    // The upper lid's shadow on the eyeball.
                    var top = P(cx, _f.EyeY - _f.EyeUpper, 0.6);
                    using (var shader = SKShader.CreateLinearGradient(top, new SKPoint(top.X, top.Y + (float)(_f.EyeUpper * 1.1 + 0.02)), [new SKColor(60, 40, 35, 130), new SKColor(60, 40, 35, 0)], SKShaderTileMode.Clamp))
                    using (var paint = new SKPaint { IsAntialias = true, Shader = shader })
                    {
                        DrawPath(whole, paint);
                    }

                    _canvas.Restore();

                    // Upper lid with lashes, lower lid.
                    using (var lid = Stroke(new SKColor(30, 20, 18), 0.03))
                    {
                        DrawPath(upper, lid);
                    }

                    using (var lashes = Stroke(new SKColor(25, 18, 15, 200), 0.05))
                    using (var outerHalf = new SKPathBuilder())
                    {
                        var cx2 = side * _f.EyeX;
                        outerHalf.MoveTo(P(cx2 + side * _f.EyeHalfWidth * 0.2, _f.EyeY - _f.EyeUpper * 0.98, 0.6));
                        outerHalf.QuadTo(P(cx2 + side * _f.EyeHalfWidth * 0.8, _f.EyeY - _f.EyeUpper * 0.7, 0.6), P(cx2 + side * _f.EyeHalfWidth * 1.08, _f.EyeY - 0.02, 0.6));
                        DrawPath(outerHalf, lashes);
                    }

                    using (var lowerLid = Stroke(C(Shade(skin, 0.55), 150), 0.014))
                    {
                        DrawPath(lower, lowerLid);
                    }

                    // Soft shadow under the eye.
                    using (var bag = Stroke(C(Shade(skin, 0.7), 50), 0.03))
                    using (var bagPath = new SKPathBuilder())
                    {
                        bagPath.MoveTo(P(cx - side * _f.EyeHalfWidth * 0.7, _f.EyeY + _f.EyeLower + 0.05, 0.6));
                        bagPath.QuadTo(P(cx, _f.EyeY + _f.EyeLower + 0.1, 0.6), P(cx + side * _f.EyeHalfWidth * 0.9, _f.EyeY + _f.EyeLower + 0.03, 0.6));
                        DrawPath(bagPath, bag);
                    }
                }
            }
        }

        private void DrawBrows()
        {
            var colour = Mix(_id.Hair, new Rgb(35, 25, 20), _id.Hair.Brightness > 0.45 ? 0.5 : 0.15);
            using var paint = Fill(C(colour, 235));
            using var blur = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 0.008f);
            paint.MaskFilter = blur;
            var t = _f.BrowThickness;
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                using var path = new SKPathBuilder();
                var ix = side * _f.BrowInnerX;
                var px = side * _f.BrowPeakX;
                var ox = side * _f.BrowOuterX;
                path.MoveTo(P(ix, _f.BrowInnerY - t * 0.55, 0.6));
                path.QuadTo(P(px - side * 0.12, _f.BrowPeakY - t * 0.6, 0.55), P(px, _f.BrowPeakY - t * 0.5, 0.55));
                path.QuadTo(P((px + ox) / 2, (_f.BrowPeakY + _f.BrowOuterY) / 2 - t * 0.3, 0.5), P(ox, _f.BrowOuterY, 0.45));
                path.QuadTo(P((px + ox) / 2, (_f.BrowPeakY + _f.BrowOuterY) / 2 + t * 0.15, 0.5), P(px, _f.BrowPeakY + t * 0.35, 0.55));
                path.QuadTo(P(px - side * 0.12, _f.BrowPeakY + t * 0.45, 0.55), P(ix, _f.BrowInnerY + t * 0.5, 0.6));
                path.Close();
                DrawPath(path, paint);
            }
        }

        private void DrawNose()
        {
            var skin = _id.Skin;
            var tipY = _f.NoseTipY;
            var hw = _f.NoseHalfWidth;
            using var blur = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 0.03f);

            // Sides of the bridge, darker away from the light.
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                var alpha = (int)(70 + 60 * _scene.LightStrength * (side * _lx < 0 ? 1 : -0.5));
                using var shadow = Stroke(C(Shade(skin, 0.62), alpha), 0.07);
                shadow.MaskFilter = blur;
                using var path = new SKPathBuilder();
                path.MoveTo(P(side * 0.11, _f.EyeY + 0.02, 0.7));
                path.CubicTo(P(side * 0.1, tipY - 0.2, 0.85), P(side * hw * 0.75, tipY - 0.12, 0.9), P(side * hw * 0.95, tipY - 0.01, 0.85));
                DrawPath(path, shadow);
            }

            // Shadow below the nose.
            using (var under = Fill(C(Shade(skin, 0.55), 120)))
            {
                under.MaskFilter = blur;
                _canvas.DrawOval(P(-0.1 * _lx, tipY + 0.08, 0.9), new SKSize((float)(hw * 0.95), 0.04f), under);
            }

            // Wings.
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                var wing = P(side * hw * 0.78, tipY + 0.01, 0.85);
                FillRadial(null, wing, 0.085, C(Shade(skin, 0.97)), C(Shade(skin, 0.82), 0), 0.85);
                using var contour = Stroke(C(Shade(skin, 0.55), 120), 0.016);
                using var path = new SKPathBuilder();
                path.MoveTo(P(side * hw * 0.6, tipY - 0.06, 0.85));
                path.QuadTo(P(side * hw * 1.1, tipY - 0.03, 0.85), P(side * hw * 0.85, tipY + 0.06, 0.85));
                DrawPath(path, contour);
            }

            // Tip, then nostrils.
            FillRadial(null, P(0.02 * _lx, tipY - 0.03, 1), 0.1, C(Shade(skin, 1.12), 150), C(skin, 0));
            using (var nostril = Fill(C(Shade(skin, 0.3), 230)))
            {
                foreach (var side in (ReadOnlySpan<int>)[-1, 1])
                {
                    var centre = P(side * 0.45 * hw, tipY + 0.05, 0.85);
                    _canvas.Save();
                    _canvas.RotateDegrees(side * 20, centre.X, centre.Y);
                    _canvas.DrawOval(centre, new SKSize(0.045f, 0.022f), nostril);
                    _canvas.Restore();
                }
            }

            // Wrinkles on the bridge.
            if (_f.Wrinkle > 0.1)
            {
                using var wrinkle = Stroke(C(Shade(skin, 0.55), (int)(160 * _f.Wrinkle)), 0.014);
                for (var k = 0; k < 3; k++)
                {
                    var y = _f.EyeY + 0.1 + 0.045 * k;
                    using var path = new SKPathBuilder();
                    path.MoveTo(P(-0.08, y, 0.75));
                    path.QuadTo(P(0, y - 0.02, 0.8), P(0.08, y, 0.75));
                    DrawPath(path, wrinkle);
                }
            }
        }

        private void DrawMouth()
        {
            var skin = _id.Skin;
            var lips = _id.Lips;
            var mw = _f.MouthHalfWidth;
            var cy = _f.CornerY;
            var upperInner = _f.UpperInnerY;
            var lowerInner = _f.LowerInnerY;
            var top = upperInner - _f.UpperThickness;
            var bottom = lowerInner + _f.LowerThickness;
            var left = P(-mw, cy, 0.55);
            var right = P(mw, cy, 0.55);
            const double depth = 0.7;
            using var blur = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 0.025f);

            // Smile lines from the nose wings past the mouth corners.
            var fold = Math.Max(_f.Smile, _f.Cheek);
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                using var line = Stroke(C(Shade(skin, 0.55), (int)(35 + 140 * fold)), 0.025 + 0.02 * fold);
                line.MaskFilter = blur;
                using var path = new SKPathBuilder();
                path.MoveTo(P(side * (_f.NoseHalfWidth + 0.05), _f.NoseTipY - 0.01, 0.8));
                path.QuadTo(P(side * (mw + 0.1 + 0.05 * fold), (_f.NoseTipY + cy) / 2 + 0.02, 0.6), P(side * (mw + 0.06), cy + 0.13, 0.55));
                DrawPath(path, line);
            }

            // Philtrum.
            using (var philtrum = Stroke(C(Shade(skin, 0.75), 60), 0.02))
            {
                philtrum.MaskFilter = blur;
                _canvas.DrawLine(P(-0.035, _f.NoseTipY + 0.09, 0.8), P(-0.05, top - 0.01, depth), philtrum);
                _canvas.DrawLine(P(0.035, _f.NoseTipY + 0.09, 0.8), P(0.05, top - 0.01, depth), philtrum);
            }

            // The opening between the lips.
            var innerUpperControl = P(0, 2 * upperInner - cy, depth);
            var innerLowerControl = P(0, 2 * lowerInner - cy, depth);
            if (_f.Gap > 0.012)
            {
                using var opening = new SKPathBuilder();
                opening.MoveTo(left);
                opening.QuadTo(innerUpperControl, right);
                opening.QuadTo(innerLowerControl, left);
                opening.Close();
                using (var dark = Fill(new SKColor(55, 18, 22)))
                {
                    DrawPath(opening, dark);
                }

                _canvas.Save();
                ClipPath(opening, antialias: true);
                using (var teeth = Fill(new SKColor(236, 230, 218)))
                {
                    var teethDepth = Math.Min(0.075, 0.3 * _f.Gap + 0.04 * _f.UpperRaise);
                    var t1 = P(-mw * 0.75, upperInner - 0.05, depth);
                    var t2 = P(mw * 0.75, upperInner + teethDepth, depth);
                    _canvas.DrawRoundRect(new SKRect(t1.X, t1.Y, t2.X, t2.Y), 0.02f, 0.02f, teeth);
                    if (_f.Gap > 0.12)
                    {
                        var b1 = P(-mw * 0.6, lowerInner - 0.04, depth);
                        var b2 = P(mw * 0.6, lowerInner + 0.05, depth);
                        _canvas.DrawRoundRect(new SKRect(b1.X, b1.Y, b2.X, b2.Y), 0.02f, 0.02f, teeth);
                    }
                }

                if (_f.Gap > 0.08)
                {
                    using var tongue = Fill(C(Shade(lips, 0.85)));
                    _canvas.DrawOval(P(0, lowerInner - 0.01, depth), new SKSize((float)(mw * 0.55), 0.05f), tongue);
                }

                _canvas.Restore();
            }

            // Upper lip (darker), with a cupid's bow.
            using (var upper = new SKPathBuilder())
            {
                upper.MoveTo(left);
                upper.CubicTo(P(-mw * 0.6, top + 0.015, depth), P(-0.12, top - 0.012, depth), P(-0.065, top - 0.008, depth));
                upper.QuadTo(P(0, top + 0.005, depth), P(0.065, top - 0.008, depth));
                upper.CubicTo(P(0.12, top - 0.012, depth), P(mw * 0.6, top + 0.015, depth), right);
                upper.QuadTo(innerUpperControl, left);
                upper.Close();
                using var shader = SKShader.CreateLinearGradient(P(0, top, depth), P(0, upperInner, depth), [C(Shade(lips, 0.82)), C(Shade(lips, 0.68))], SKShaderTileMode.Clamp);
                using var paint = new SKPaint { IsAntialias = true, Shader = shader };
                DrawPath(upper, paint);
            }

            // Lower lip (lighter), with a highlight.
            using (var lower = new SKPathBuilder())
            {
                lower.MoveTo(left);
                lower.QuadTo(innerLowerControl, right);
                lower.CubicTo(P(mw * 0.55, bottom + 0.005, depth), P(-mw * 0.55, bottom + 0.005, depth), left);
                lower.Close();
                using var shader = SKShader.CreateLinearGradient(P(0, lowerInner, depth), P(0, bottom, depth), [C(Shade(lips, 0.9)), C(Shade(lips, 1.05)), C(Shade(lips, 0.8))], [0, 0.45f, 1], SKShaderTileMode.Clamp);
                using var paint = new SKPaint { IsAntialias = true, Shader = shader };
                DrawPath(lower, paint);
                FillRadial(null, P(0.05 * _lx, lowerInner + _f.LowerThickness * 0.45, depth), _f.LowerThickness * 1.2, new SKColor(255, 255, 255, 70), new SKColor(255, 255, 255, 0), 0.5);
            }

            // The line between the lips and dark corners.
            using (var line = Stroke(C(Shade(lips, 0.35), 200), 0.016))
            using (var path = new SKPathBuilder())
            {
                path.MoveTo(left);
                path.QuadTo(innerUpperControl, right);
                DrawPath(path, line);
            }

            using (var corner = Fill(C(Shade(skin, 0.45), 110)))
            {
                corner.MaskFilter = blur;
                _canvas.DrawCircle(left, 0.025f, corner);
                _canvas.DrawCircle(right, 0.025f, corner);
            }

            // Shadow under the lower lip (the chin fold).
            using (var chinFold = Fill(C(Shade(skin, 0.6), 90)))
            {
                chinFold.MaskFilter = blur;
                _canvas.DrawOval(P(0, bottom + 0.06, 0.6), new SKSize((float)(mw * 0.55), 0.03f), chinFold);
            }
        }

        private SKPathBuilder HairCap(double height, double hairline)
        {
            var topY = _f.TopY;
            var eyeY = _f.EyeY;
            var path = new SKPathBuilder();
            path.MoveTo(P(-1.06, eyeY - 0.05, 0.05));
            path.CubicTo(P(-1.22, topY + 0.1, 0.05), P(-0.75, topY - height, 0.1), P(0, topY - height, 0.15));
            path.CubicTo(P(0.75, topY - height, 0.1), P(1.22, topY + 0.1, 0.05), P(1.06, eyeY - 0.05, 0.05));
            path.LineTo(P(0.9, eyeY - 0.12, 0.1));
            path.CubicTo(P(0.92, eyeY - 0.45, 0.15), P(0.65, topY + hairline, 0.2), P(0.2, topY + hairline - 0.02, 0.25));
            path.QuadTo(P(-0.5, topY + hairline + 0.05, 0.2), P(-0.9, eyeY - 0.12, 0.1));
            path.Close();
            return path;
        }

        private void FillHair(SKPathBuilder path, int alpha = 255)
        {
            var hair = _id.Hair;
            using var shader = SKShader.CreateLinearGradient(
                new SKPoint(0.6f * _lx, (float)_f.TopY - 0.2f), new SKPoint(-0.5f * _lx, (float)_f.EyeY + 0.6f), [C(Shade(hair, 1.35), alpha), C(hair, alpha), C(Shade(hair, 0.6), alpha)], [0, 0.35f, 1], SKShaderTileMode.Clamp);
            using var paint = new SKPaint { IsAntialias = true, Shader = shader };
            DrawPath(path, paint);
        }

        private void DrawHairBack()
        {
            if (_id.HairStyle != HairStyle.Flowing)
            {
                return;
            }

            using var path = new SKPathBuilder();
            var topY = (float)_f.TopY;
            path.MoveTo(P(-1.15, _f.EyeY, 0));
            path.CubicTo(P(-1.35, topY - 0.1, 0), P(1.35, topY - 0.1, 0), P(1.15, _f.EyeY, 0));
            path.CubicTo(P(1.3, _f.ChinRestY - 0.2, 0), P(1.45, 1.5, 0), P(1.3, 2.1, 0));
            path.LineTo(P(-1.3, 2.1, 0));
            path.CubicTo(P(-1.45, 1.5, 0), P(-1.3, _f.ChinRestY - 0.2, 0), P(-1.15, _f.EyeY, 0));
            path.Close();
            FillHair(path);
            using var shadow = Fill(new SKColor(0, 0, 0, 60));
            _canvas.DrawOval(P(0, _f.ChinRestY + 0.2, 0), new SKSize(0.9f, 0.5f), shadow);
        }

        private void DrawHairFront()
        {
            var hair = _id.Hair;
            switch (_id.HairStyle)
            {
                case HairStyle.Bald:
                    {
                        // Hair above the ears only, and a sheen on the scalp.
                        foreach (var side in (ReadOnlySpan<int>)[-1, 1])
                        {
                            using var path = new SKPathBuilder();
                            path.MoveTo(P(side * 0.98, _f.EyeY - 0.45, 0.05));
                            path.QuadTo(P(side * 1.12, _f.EyeY - 0.1, 0.05), P(side * 1.02, _f.EyeY + 0.1, 0.05));
                            path.LineTo(P(side * 0.95, _f.EyeY - 0.05, 0.05));
                            path.Close();
                            FillHair(path, 200);
                        }

                        FillRadial(null, P(0.3 * _lx, _f.TopY + 0.3, 0.2), 0.35, new SKColor(255, 255, 255, 60), new SKColor(255, 255, 255, 0), 0.6);
                        break;
                    }

                case HairStyle.Buzz:
                    {
                        using var cap = HairCap(0.04, 0.5);
                        FillHair(cap, 200);
                        break;
                    }

                case HairStyle.Curly:
                    {
                        using var cap = HairCap(0.25, 0.4);
                        FillHair(cap);
                        using var curl = Fill(C(Shade(hair, 0.85)));
                        using var light = Stroke(C(Shade(hair, 1.4), 120), 0.025);
                        for (var k = 0; k <= 12; k++)
                        {
                            var angle = Math.PI * (1 + k / 12.0);
                            var centre = P(1.08 * Math.Cos(angle), _f.TopY + 0.75 + 0.95 * Math.Sin(angle), 0.1);
                            _canvas.DrawCircle(centre, 0.16f, curl);
                            _canvas.DrawArc(new SKRect(centre.X - 0.1f, centre.Y - 0.1f, centre.X + 0.1f, centre.Y + 0.1f), 200, 120, false, light);
                        }

                        break;
                    }

                default:
                    {
                        var height = _id.HairStyle == HairStyle.Cropped ? 0.2 : 0.15;
                        using var cap = HairCap(height, 0.42);
                        FillHair(cap);
                        if (_id.HairStyle == HairStyle.Bun)
                        {
                            using var bun = new SKPathBuilder();
                            bun.AddCircle((float)(0.0 + 0.06 * _f.Turn), (float)(_f.TopY - 0.28), 0.3f);
                            FillHair(bun);
                        }

                        if (_id.HairStyle == HairStyle.Flowing)
                        {
                            // Locks falling in front of the ears.
                            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
                            {
                                using var lockPath = new SKPathBuilder();
                                lockPath.MoveTo(P(side * 1.06, _f.EyeY - 0.1, 0.05));
                                lockPath.CubicTo(P(side * 1.2, _f.EyeY + 0.4, 0.05), P(side * 1.15, _f.ChinRestY, 0.05), P(side * 1.3, _f.ChinRestY + 0.5, 0.05));
                                lockPath.LineTo(P(side * 1.05, _f.ChinRestY + 0.4, 0.05));
                                lockPath.CubicTo(P(side * 1.0, _f.ChinRestY - 0.2, 0.05), P(side * 0.98, _f.EyeY + 0.3, 0.05), P(side * 0.92, _f.EyeY - 0.15, 0.05));
                                lockPath.Close();
                                FillHair(lockPath);
                            }
                        }

                        // A few strands for texture.
                        using var strand = Stroke(C(Shade(hair, 1.45), 70), 0.02);
                        for (var k = -3; k <= 3; k++)
                        {
                            using var path = new SKPathBuilder();
                            path.MoveTo(P(0.12 * k, _f.TopY - height + 0.06, 0.15));
                            path.QuadTo(P(0.12 * k + 0.25, _f.TopY + 0.1, 0.2), P(0.16 * k + 0.35, _f.TopY + 0.35, 0.2));
                            DrawPath(path, strand);
                        }

                        break;
                    }
            }
        }

        private void DrawGlasses()
        {
            using var frame = Stroke(C(_id.GlassesFrame), 0.035);
            using var lens = Fill(new SKColor(230, 240, 255, 28));
            var y = _f.EyeY + 0.02;
            foreach (var side in (ReadOnlySpan<int>)[-1, 1])
            {
                var cx = side * _f.EyeX;
                var a = P(cx - _f.EyeHalfWidth - 0.09, y - 0.15, 0.6);
                var b = P(cx + _f.EyeHalfWidth + 0.09, y + 0.16, 0.6);
                var rect = new SKRect(Math.Min(a.X, b.X), a.Y, Math.Max(a.X, b.X), b.Y);
                _canvas.DrawRoundRect(rect, 0.07f, 0.07f, lens);
                _canvas.DrawRoundRect(rect, 0.07f, 0.07f, frame);
                _canvas.DrawLine(P(side * (_f.EyeX + _f.EyeHalfWidth + 0.09), y - 0.08, 0.6), P(side * 1.0, y - 0.05, 0.05), frame);
            }

            using var bridge = new SKPathBuilder();
            bridge.MoveTo(P(-(_f.EyeX - _f.EyeHalfWidth - 0.09), y - 0.04, 0.7));
            bridge.QuadTo(P(0, y - 0.1, 0.8), P(_f.EyeX - _f.EyeHalfWidth - 0.09, y - 0.04, 0.7));
            DrawPath(bridge, frame);
        }
    }
}
