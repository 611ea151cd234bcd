from .contacts import Contact, ContactGroup

__all__ = ["Contact", "ContactGroup"]
