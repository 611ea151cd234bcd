"""Contact groups and about 50 supporters, as entered in the 2012 admin training.

Indonesia has no range of numbers reserved for fiction, so the demo uses the North American
range 555-0100…0199, which is reserved for fictional use and never reaches a real phone.
"""

import random

from wagtail.log_actions import log
from wagtail.models import Site

from wagtail_grantee_sms.models import Contact, ContactGroup, SignupPage, VerificationMessages

GROUPS = {
    "Relawan": "Relawan yang membantu kegiatan lapangan.",
    "Donatur": "Pendukung yang berdonasi rutin.",
    "Jurnalis warga": "Peserta pelatihan jurnalisme warga.",
}

FIRST_NAMES = [
    "Ani",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fitri",
    "Gita",
    "Hadi",
    "Indah",
    "Joko",
    "Kartika",
    "Lestari",
    "Made",
    "Nur",
    "Oki",
    "Putu",
    "Rina",
    "Sari",
    "Teguh",
    "Umi",
    "Wayan",
    "Yanti",
    "Zainal",
    "Agus",
    "Bayu",
]
LAST_NAMES = ["Santoso", "Wijaya", "Lubis", "Siregar", "Nugroho", "Pratama", "Hasibuan"]

# How the demo's 50 contacts are spread over the verification states.
STATUS_SPREAD = (
    [Contact.Status.VERIFIED] * 30
    + [Contact.Status.UNVERIFIED] * 8
    + [Contact.Status.PENDING] * 6
    + [Contact.Status.OPTED_OUT] * 3
    + [Contact.Status.BLOCKED]
    + [Contact.Status.INVALID] * 2
)


def demo_phone(index):
    return f"+1202555{100 + index:04d}"


def load(log):
    groups = [
        ContactGroup.objects.get_or_create(name=name, defaults={"description": description})[0]
        for name, description in GROUPS.items()
    ]
    rng = random.Random(2012)  # the same demo on every machine
    created = 0
    for index, status in enumerate(STATUS_SPREAD):
        name = f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {rng.choice(LAST_NAMES)}"
        contact, was_created = Contact.objects.get_or_create(
            phone=demo_phone(index),
            defaults={
                "name": name,
                "status": status,
                "language": Contact.Language.ENGLISH if index % 5 == 0 else "id",
                "consent_source": Contact.ConsentSource.PAPER_FORM,
                "consent_note": "Formulir pelatihan admin, 14 November 2012.",
            },
        )
        if was_created:
            contact.groups.set(rng.sample(groups, k=rng.randint(1, 2)))
            record_demo_history(contact)
            created += 1
    log(f"Contacts: {created} created, {len(STATUS_SPREAD) - created} already there.")
    load_signup_page(groups[0], log)
    messages = VerificationMessages.load()
    if not messages.organisation:
        messages.organisation = "Lembaga Bhinneka"
        messages.save()


# How each demo status came about, as the contact's history shows it.
DEMO_HISTORY = {
    Contact.Status.VERIFIED: ("wagtail_grantee_sms.verified", "manual", "Formulir diteken."),
    Contact.Status.PENDING: ("wagtail_grantee_sms.verification_sent", "admin", "code"),
    Contact.Status.OPTED_OUT: ("wagtail_grantee_sms.opt_out", "sms_keyword", "STOP"),
    Contact.Status.BLOCKED: ("wagtail_grantee_sms.block", "admin", "Nomor salah orang."),
    Contact.Status.INVALID: ("wagtail_grantee_sms.invalid", "provider", "Nomor tidak aktif."),
}  # fmt: skip


def record_demo_history(contact):
    if contact.status in DEMO_HISTORY:
        action, via, reason = DEMO_HISTORY[contact.status]
        log(
            instance=contact,
            action=action,
            data={"from": "unverified", "to": contact.status, "via": via, "reason": reason},
        )


def load_signup_page(group, log):
    """The public sign-up at /sms/, linked in the site's navigation (shown in menus)."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None or SignupPage.objects.exists():
        return
    site.root_page.add_child(
        instance=SignupPage(
            title="Dukung kami lewat SMS",
            slug="sms",
            intro="<p>Dapatkan kabar kegiatan Lembaga Bhinneka lewat SMS.</p>",
            consent_text=(
                "<p>Saya setuju menerima SMS dari Lembaga Bhinneka, paling banyak empat kali "
                "sebulan. Saya dapat berhenti kapan saja dengan membalas STOP.</p>"
            ),
            thank_you_text="<p>Terima kasih atas dukungan Anda!</p>",
            group=group,
            show_in_menus=True,
        )
    )
    log("Sign-up page: /sms/ created.")
