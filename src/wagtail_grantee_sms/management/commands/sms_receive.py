"""``manage.py sms_receive NUMBER TEXT``: an incoming SMS, as if a phone had sent it."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from wagtail_grantee_sms import inbound, phones
from wagtail_grantee_sms.backends import InvalidBackendError, get_backend_settings


class Command(BaseCommand):
    help = (
        "Receive an SMS from NUMBER saying TEXT through an SMS backend, exactly as its webhook "
        "would: YA or the code verifies a contact waiting for it, STOP opts out. For trying "
        "the replies with the console backend, or replaying a message a provider could not "
        "deliver to the site."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="The sender, as written on a phone (0812… or +62…).")
        parser.add_argument("text", help="What the SMS says.")
        parser.add_argument(
            "--backend", default="default", help="The SMS backend alias (default: default)."
        )

    def handle(self, *args, number, text, backend, **options):
        try:
            get_backend_settings(backend)
            message = inbound.simulate(backend, number, text)
        except InvalidBackendError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(f"{number!r} is not a phone number: {error.messages[0]}") from error
        contact = message.contact
        self.stdout.write(
            f"Received inbound SMS {message.pk} from {phones.mask(message.sender)} through "
            f"{backend!r}."
        )
        self.stdout.write(f"Action taken: {message.get_action_display()}")
        if contact is None:
            self.stdout.write("No contact has this number.")
        else:
            contact.refresh_from_db(fields=["status"])
            self.stdout.write(f"Contact {contact.pk}: {contact.get_status_display()}")
