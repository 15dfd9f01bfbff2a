from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from igny8.errors import ValidationFailed
from tenancy.models import Account, Role, Site, User
from tenancy.signals import site_deleting


@transaction.atomic
def account_register(*, email: str, password: str, account_name: str) -> tuple[User, Account]:
    """Create an account and its owner together; ValidationFailed for a taken email or a weak password."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(
            "A user with this email already exists.", errors={"email": ["Already registered."]}
        )
    try:
        validate_password(password)
    except DjangoValidationError as error:
        raise ValidationFailed(error.messages[0], errors={"password": error.messages}) from None
    account = Account.objects.create(name=account_name)
    user = User.objects.create_user(email, password, account=account, role=Role.OWNER)
    return user, account


def site_create(*, account: Account, name: str, domain: str = "", is_active: bool = True) -> Site:
    try:
        with transaction.atomic():
            return Site.objects.create(account=account, name=name, domain=domain, is_active=is_active)
    except IntegrityError:
        raise ValidationFailed(
            "This account already has a site with that name.", errors={"name": ["Already used."]}
        ) from None


def site_update(*, site: Site, **fields) -> Site:
    for field, value in fields.items():
        setattr(site, field, value)
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError:
        raise ValidationFailed(
            "This account already has a site with that name.", errors={"name": ["Already used."]}
        ) from None
    return site


SITE_DELETE_ATTEMPTS = 3


def site_delete(*, site: Site) -> None:
    """Delete a site and everything it owns. `site_deleting` goes out first, so automation stops the
    site's run (committed) before the rows are collected; a row that work still stopping added between
    collection and deletion fails the foreign keys, and the deletion is simply tried again.
    """
    site_deleting.send(sender=Site, site=site)
    for attempt in range(1, SITE_DELETE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                site.delete()
            return
        except IntegrityError:
            if attempt == SITE_DELETE_ATTEMPTS:
                raise


def user_create(*, account: Account, email: str, password: str, role: str = Role.EDITOR) -> User:
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(
            "A user with this email already exists.", errors={"email": ["Already registered."]}
        )
    return User.objects.create_user(email, password, account=account, role=role)
