from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"

    @classmethod
    def rank(cls, role: str) -> int:
        return {cls.VIEWER: 1, cls.EDITOR: 2, cls.ADMIN: 3, cls.OWNER: 4}.get(role, 0)


class Account(TimeStampedModel):
    name = models.CharField(max_length=200)
    credits = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(credits__gte=0), name="account_credits_gte_0")
        ]

    def __str__(self):
        return self.name


class Site(TimeStampedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, default="")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "account", name="site_name_unique_per_account"),
        ]

    def __str__(self):
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Emails are case-insensitive everywhere: API login, dashboard login, admin.
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None
    email = models.EmailField(unique=True)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="users", null=True, blank=True
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_case_insensitive")]

    def __str__(self):
        return self.email

    @property
    def is_privileged(self) -> bool:
        return self.is_staff or self.is_superuser
