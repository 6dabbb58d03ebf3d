using SkiaSharp;

namespace FaceCluster.Morphs.Tests;

public sealed class GridTests
{
    [Fact]
    public void The_grid_has_a_row_per_dimension_a_column_per_country_and_a_png_per_face()
    {
        var image = Shapes.PatternImage(160, 160);
        var morph = Morph.Compose([(image, 160, 160, Shapes.Landmarks(9))], 160);
        MorphCell[] cells =
        [
            new("A", "USA", morph, "Joy"),
            new("A", "China", morph, "A very long concept name that cannot fit under a face"),
            new("B", "USA", morph, "Anger"),
            new("B", "China", null, ""),
        ];

        var images = MorphGrid.Create(["A", "B"], ["USA", "China"], cells, thumbnail: 64);

        Assert.Equal(["morph_a_usa.png", "morph_a_china.png", "morph_b_usa.png"], images.Faces.Select(f => f.FileName));
        using var face = SKBitmap.Decode(images.Faces[0].Png);
        Assert.Equal((160, 160), (face.Width, face.Height));
        Assert.Equal(new SKColor(image[0], image[1], image[2]), face.GetPixel(0, 0));
        using var grid = SKBitmap.Decode(images.Grid);
        Assert.Equal((images.GridWidth, images.GridHeight), (grid.Width, grid.Height));
        Assert.True(grid.Width > 2 * 64 && grid.Height > 2 * 64);
        Assert.Equal(images.Grid, MorphGrid.Create(["A", "B"], ["USA", "China"], cells, thumbnail: 64).Grid);
    }

    [Fact]
    public void Cells_outside_the_grid_or_twice_are_refused()
    {
        Assert.Throws<ArgumentException>(() => MorphGrid.Create(["A"], ["USA"], [new("B", "USA", null, "")]));
        Assert.Throws<ArgumentException>(() => MorphGrid.Create(["A"], ["USA"], [new("A", "USA", null, ""), new("A", "USA", null, "")]));
    }

    [Fact]
    public void File_names_are_safe()
    {
        Assert.Equal("morph_g1_south_africa.png", MorphGrid.FileName("G1", "South Africa"));
    }
}
