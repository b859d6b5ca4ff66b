"""Draw the application icon from the bundled bold font (run by hand; the PNG/ICO files are committed).

    .venv/bin/python resources/icons/build_icons.py

One design at every size the desktops ask for: a blue rounded square with 教 over a bridge arc.
edubridge-<N>.png feed the freedesktop hicolor theme (the .deb) and the window icon;
edubridge.ico the Windows executable, shortcuts and the .ebpkg file type.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = HERE.parent / "fonts" / "NotoSansSC-Bold.ttf"
SIZES = (16, 24, 32, 48, 64, 128, 256)
MASTER = 1024


def draw() -> Image.Image:
    image = Image.new("RGBA", (MASTER, MASTER), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((32, 32, MASTER - 32, MASTER - 32), radius=200, fill=(31, 111, 178, 255))
    # The bridge: an arc under the character, a road on top of it.
    pen.rectangle((140, 780, MASTER - 140, 830), fill=(255, 255, 255, 255))
    pen.arc((230, 800, MASTER - 230, 1240), start=195, end=345, fill=(255, 255, 255, 255), width=50)
    font = ImageFont.truetype(str(FONT), 520)
    pen.text((MASTER / 2, 400), "教", font=font, fill=(255, 255, 255, 255), anchor="mm")
    return image


def main() -> None:
    master = draw()
    for size in SIZES:
        master.resize((size, size), Image.Resampling.LANCZOS).save(HERE / f"edubridge-{size}.png", optimize=True)
    master.resize((256, 256), Image.Resampling.LANCZOS).save(
        HERE / "edubridge.ico", sizes=[(s, s) for s in SIZES if s <= 256]
    )


if __name__ == "__main__":
    main()
