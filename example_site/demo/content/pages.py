"""Lembaga Bhinneka's website: a grantee home, the sections Berita and Laporan, a handful of
posts in Indonesian and English, and the 2012 mentoring report (``data/``) as a post.

The home replaces Wagtail's welcome page as the root of the default site. Pictures are drawn
with Pillow at load time, so the demo needs no network.
"""

import datetime
import re
import textwrap
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import swapper
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.utils import timezone
from django.utils.html import escape
from PIL import Image as PillowImage
from PIL import ImageDraw, ImageFont
from wagtail.images import get_image_model
from wagtail.models import Site

from wagtail_grantee.models import Category, GranteeHomePage, PostPage, SectionPage

DATA = Path(__file__).parent / "data"
SEED_REPORT = DATA / "bhinneka-mentoring-2012.txt"

HOME = {
    "title": "Lembaga Bhinneka",
    "slug": "lembaga-bhinneka",
    "short_description": (
        "Lembaga kecil yang merawat keberagaman: diskusi, sastra, dan kampanye anti kekerasan "
        "terhadap perempuan."
    ),
    "mission": (
        "<p>Kami percaya Indonesia kuat karena <b>beragam</b>. Kami membuka ruang diskusi "
        "tentang keragaman dan agama, mendukung penulis muda, dan berkampanye melawan "
        "kekerasan terhadap perempuan.</p>"
    ),
    "region": "Surabaya, Jawa Timur",
    "grant_programme": "Cipta Media",
    "grant_period_start": datetime.date(2012, 7, 1),
    "grant_period_end": datetime.date(2013, 6, 30),
    "website_url": "https://bhinneka.example.org/",
    "facebook_url": "https://www.facebook.com/example.bhinneka",
    "twitter_url": "https://x.com/example_bhinneka",
    "instagram_url": "https://www.instagram.com/example.bhinneka/",
    "contact_email": "halo@bhinneka.example.org",
    "donation_intro": "Dukungan Anda membuat diskusi dan pelatihan kami tetap gratis dan terbuka.",
    "donation_bank_details": "Bank Contoh (demo)\na.n. Lembaga Bhinneka\nNo. rekening 000-000-0000",
    "donation_url": "https://bhinneka.example.org/donasi",
}

SECTIONS = {
    "berita": ("Berita", "<p>Kabar terbaru dari kegiatan Lembaga Bhinneka.</p>"),
    "laporan": ("Laporan", "<p>Laporan kegiatan, mentoring dan pelatihan.</p>"),
}

POSTS = [
    {
        "section": "berita",
        "slug": "situs-web-kami-punya-rss",
        "title": "Situs web kami kini punya RSS feed",
        "date": (2012, 11, 20),
        "authors": "Daris",
        "summary": "Cipta Media dan pembaca kini bisa mengikuti tulisan kami lewat RSS dan Atom.",
        "body": [
            (
                "paragraph",
                "<p>Setelah pelatihan di Jakarta, setiap bagian situs web kami "
                "punya feed RSS 2.0, Atom dan JSON.</p>",
            ),
            ("heading", "Cara berlangganan"),
            ("paragraph", "<p>Salin alamat feed ke aplikasi pembaca feed Anda.</p>"),
        ],
        "categories": ["CMS"],
        "tags": ["rss", "situs web"],
        "colour": (13, 79, 60),
    },
    {
        "section": "berita",
        "slug": "pelatihan-admin-kontak-sms",
        "title": "Pelatihan admin: 50 kontak SMS terverifikasi",
        "date": (2012, 11, 22),
        "authors": "Hendra, Daris",
        "summary": "Admin kami belajar memverifikasi kontak SMS dan menyiapkan broadcast.",
        "body": [
            (
                "paragraph",
                "<p>Kami memasukkan kurang lebih 50 kontak pendukung, lalu "
                "memverifikasi nomor mereka dengan SMS.</p>",
            ),
            (
                "quote",
                {
                    "text": "Berinteraksilah dengan pendukung lewat SMS.",
                    "attribution": "Saran mentoring Cipta Media",
                },
            ),
        ],
        "categories": ["mentoring"],
        "tags": ["sms", "pelatihan"],
        "colour": (10, 90, 140),
    },
    {
        "section": "berita",
        "slug": "diskusi-keragaman-dan-agama",
        "title": "Diskusi Keragaman dan Agama di Reading Room",
        "date": (2012, 11, 25),
        "authors": "Soe Tjen",
        "summary": "Kopdar pertama kami di Jakarta: diskusi terbuka tentang keragaman dan agama.",
        "body": [
            (
                "paragraph",
                "<p>Terima kasih kepada semua yang hadir di Reading Room, Kemang. "
                "Arsip twitter diskusi disusun oleh Isabella.</p>",
            ),
            ("image", "Suasana diskusi"),
        ],
        "categories": ["Bhinneka"],
        "tags": ["diskusi", "keragaman"],
        "colour": (120, 53, 15),
    },
    {
        "section": "berita",
        "slug": "our-notes-move-home",
        "language": "en",
        "title": "Our notes move home from Facebook",
        "date": (2012, 12, 3),
        "authors": "Daris",
        "summary": "We now publish on our own website first, and share the link on Facebook.",
        "body": [
            (
                "paragraph",
                "<p>Our Facebook notes brought readers to Facebook, not to us. "
                "From now on every article is published here first.</p>",
            ),
        ],
        "categories": ["CMS"],
        "tags": ["facebook", "situs web"],
        "colour": (60, 60, 120),
    },
    {
        "section": "berita",
        "slug": "kampanye-anti-kekerasan",
        "title": "Kampanye anti kekerasan terhadap perempuan",
        "date": (2012, 12, 10),
        "authors": "Helga",
        "summary": "Enam belas hari kampanye di twitter dan facebook, dengan gambar untuk setiap "
        "pesan.",
        "body": [
            ("paragraph", "<p>Kami berkampanye bersama jaringan kami selama enam belas hari.</p>"),
        ],
        "categories": ["Bhinneka"],
        "tags": ["kampanye", "perempuan"],
        "colour": (150, 30, 70),
    },
    {
        "section": "berita",
        "slug": "donations-by-bank-transfer",
        "language": "en",
        "title": "Donations by bank transfer are open",
        "date": (2012, 12, 17),
        "authors": "Soe Tjen",
        "summary": "Our bank is now online, so supporters can donate by transfer.",
        "body": [
            ("paragraph", "<p>Grants end; supporters stay. Details are on our home page.</p>"),
        ],
        "categories": ["Bhinneka"],
        "tags": ["donasi"],
        "colour": (90, 70, 20),
    },
]

DATE_LINE = re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}$")


def load(log):
    home, created = ensure_home()
    sections = {slug: ensure_section(home, slug, *text) for slug, text in SECTIONS.items()}
    posts = [report_post(), *POSTS]
    new_posts = sum(ensure_post(sections[post["section"]], post) for post in posts)
    log(
        f"Pages: home {'created' if created else 'already there'}, {new_posts} posts created, "
        f"{len(posts) - new_posts} already there."
    )


def ensure_home():
    root = swapper.load_model("wagtailcore", "Page").get_first_root_node()
    home = GranteeHomePage.objects.child_of(root).filter(slug=HOME["slug"]).first()
    created = home is None
    if created:
        fields = {
            **HOME,
            "lead_image": demo_image("Lembaga Bhinneka", (13, 79, 60)),
            "logo": demo_image("LB", (13, 79, 60), size=(240, 240)),
        }
        home = root.add_child(instance=GranteeHomePage(live=False, **fields))
    make_default_site_root(home)
    if created:
        home.save_revision().publish()  # once the site serves it, so its URLs are known
    return home, created


def make_default_site_root(home):
    """Serve ``home`` at the address where the demo answers (``WAGTAILADMIN_BASE_URL``).

    Feed links, canonical links and autodiscovery are built from the Site's hostname and
    port, so they must be where the demo runs (``make demo`` passes its HOST and PORT).
    """
    hostname, port = demo_address()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname=hostname,
            port=port,
            root_page=home,
            is_default_site=True,
            site_name=HOME["title"],
        )
        return
    welcome = site.root_page if site.root_page_id != home.pk else None
    site.hostname, site.port, site.root_page, site.site_name = hostname, port, home, HOME["title"]
    site.save()
    if welcome:
        remove_welcome_page(welcome)


def demo_address():
    address = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    return address.hostname, address.port or (443 if address.scheme == "https" else 80)


def remove_welcome_page(page):
    """Delete Wagtail's "Welcome to your new Wagtail site!" page, and only that page."""
    Page = swapper.load_model("wagtailcore", "Page")
    if page.content_type == ContentType.objects.get_for_model(Page) and page.numchild == 0:
        page.delete()


def ensure_section(home, slug, title, intro):
    section = SectionPage.objects.child_of(home).filter(slug=slug).first()
    if section is None:
        section = home.add_child(
            instance=SectionPage(
                title=title, slug=slug, intro=intro, live=False, show_in_menus=True
            )
        )
        section.save_revision().publish()
    return section


def ensure_post(section, post):
    """Create and publish ``post`` unless a post with its slug is already there."""
    if PostPage.objects.child_of(section).filter(slug=post["slug"]).exists():
        return False
    body = [
        (
            "image",
            {
                "image": {
                    "image": demo_image(value, post["colour"]),
                    "alt_text": value,
                    "decorative": False,
                },
                "caption": value,
            },
        )
        if kind == "image"
        else (kind, value)
        for kind, value in post["body"]
    ]
    page = section.add_child(
        instance=PostPage(
            title=post["title"],
            slug=post["slug"],
            date=timezone.make_aware(datetime.datetime(*post["date"], 10, 0)),
            authors=post["authors"],
            language=post.get("language", ""),
            summary=post["summary"],
            body=body,
            lead_image=demo_image(post["title"], post["colour"]),
            live=False,
        )
    )
    page.categories.set(category(name) for name in post["categories"])
    page.tags.add(*post["tags"])
    page.save_revision().publish()
    return True


def category(name):
    return Category.objects.get_or_create(name=name)[0]


def report_post():
    """The seed's mentoring report: front matter, then the body as headings, lists and text."""
    front, text = SEED_REPORT.read_text(encoding="utf-8").split("---\n", 2)[1:]
    title = re.search(r"^title: (.+)$", front, re.M).group(1).strip()
    date = datetime.date.fromisoformat(re.search(r"^date: (.+)$", front, re.M).group(1).strip())
    lines = text.strip().splitlines()
    authors = lines.pop(0).removeprefix("Oleh").strip()
    return {
        "section": "laporan",
        "slug": "bhinneka-mentoring-2012",
        "title": title,
        "date": (date.year, date.month, date.day),
        "authors": authors,
        "summary": "Ringkasan tiga hari mentoring dan pelatihan admin Lembaga Bhinneka bersama "
        "Cipta Media di Jakarta, 12–15 November 2012.",
        "body": report_blocks(lines),
        "categories": re.findall(r"^- (.+)$", front, re.M),
        "tags": ["mentoring", "rss", "sms"],
        "colour": (74, 82, 89),
    }


def report_blocks(lines):
    blocks, items = [], []
    for line in [*lines, ""]:
        if line.startswith("    ") and line.strip():
            items.append(f"<li>{escape(line.strip())}</li>")
            continue
        if items:
            blocks.append(("paragraph", f"<ul>{''.join(items)}</ul>"))
            items = []
        if DATE_LINE.match(line.strip()):
            blocks.append(("heading", line.strip()))
        elif line.strip():
            blocks.append(("paragraph", f"<p>{escape(line.strip())}</p>"))
    return blocks


def demo_image(title, colour, size=(1200, 675)):
    """A picture with ``title`` on a band of ``colour``, made once and then reused."""
    Image = get_image_model()
    image = Image.objects.filter(title=title).first()
    if image:
        return image
    picture = PillowImage.new("RGB", size, colour)
    draw = ImageDraw.Draw(picture)
    width, height = size
    for step in range(6):  # soft diagonal bands, so the picture is not a flat colour
        shade = tuple(min(255, channel + 18 * step) for channel in colour)
        draw.polygon(
            [(width * step // 6, height), (width, height * step // 6), (width, height)],
            fill=shade,
        )
    font = ImageFont.load_default(size=max(24, height // 9))
    lines = textwrap.wrap(title, width=max(2, width // font.size * 2 - 4))
    draw.multiline_text(
        (width // 16, height // 2), "\n".join(lines), font=font, fill="white", anchor="lm"
    )
    buffer = BytesIO()
    picture.save(buffer, format="JPEG", quality=82)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50]
    return Image.objects.create(
        title=title,
        description=f"Gambar demo: {title}",
        file=ImageFile(buffer, name=f"demo-{slug}.jpg"),
    )
