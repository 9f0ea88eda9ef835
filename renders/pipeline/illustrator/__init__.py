"""The offline illustrator: paints a devotional scene from a prompt's words. No Django here.

It is the last provider in every image chain, so a render never needs the network. It reads
the prompt for things it knows how to paint (English and Hindi words: river, fire, mountains,
temple, lotus, a sage, a king, a child, a deity, night, dawn, …), lays them out with a seeded
random generator and paints them back to front: sky and light, clouds, mountains, forest,
water or ground, buildings, fire, lotus flowers, figures, then the style's grade and texture.
Same inputs, same bytes. Figures are rim-lit silhouettes against the sky, heads in profile; a
deity is known by its halo, a gold crown and the symbol it holds (trishul, flute, mace, conch,
lotus), never by a drawn face. Three folk-art styles (Warli, Madhubani, Pichwai) are painted by
`folk` instead, as the flat geometric motifs of those traditions, and the shadow-puppet style
(tholu bommalata) by `puppet`, as translucent leather on a lamp-lit screen. No border is painted into a
still: `frame_decoration` draws the style's frame once at the output size, and compose lays it
over the moving picture, so Ken Burns never drifts or crops it.

Speed comes from Pillow's C loops: shapes are drawn as masks in their own box (supersampled
2× for clean edges) and pasted; soft light is computed at a quarter of the size with numpy and
scaled up. Nothing walks the full-size image in Python or in float arrays.

The modules, in the order a painting goes through them: `keywords` (what a prompt asks for),
`canvas` (the Painter and its primitives), `scene` (the ScenePainter, one method per element),
`figures` (the people), `folk` (the folk-art styles), `puppet` (shadow puppets), `styles` (each style's finish and frame) and `provider` (seeding, sizing and the
LocalIllustrator). Import from this package; the modules are its inside.
"""

from renders.pipeline.illustrator.folk import FOLK_STYLES
from renders.pipeline.illustrator.keywords import SceneSpec, found_keywords, read_scene, recognised
from renders.pipeline.illustrator.provider import JPEG_QUALITY, PAINTER_VERSION, LocalIllustrator, paint_scene
from renders.pipeline.illustrator.puppet import PUPPET_STYLES
from renders.pipeline.illustrator.styles import frame_decoration
from renders.pipeline.plan import STYLES

__all__ = [
    "FOLK_STYLES", "JPEG_QUALITY", "PAINTER_VERSION", "PUPPET_STYLES", "STYLES", "LocalIllustrator", "SceneSpec", "found_keywords",
    "frame_decoration", "paint_scene", "read_scene", "recognised",
]  # fmt: skip
