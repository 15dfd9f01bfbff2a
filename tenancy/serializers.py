from rest_framework import serializers

from igny8.api import ReplaceSerializerMixin
from tenancy.models import Account, Site, User


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "credits"]


class UserSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "account", "role", "is_staff"]


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    # The length AUTH_PASSWORD_VALIDATORS ask, stated here so that the schema shows it.
    password = serializers.CharField(
        write_only=True,
        min_length=8,
        max_length=128,
        help_text="At least 8 characters, not only digits, not a commonly used password.",
    )
    account_name = serializers.CharField(max_length=200)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, max_length=128)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    user = UserSerializer()
    account = AccountSerializer(required=False)
    access = serializers.CharField()
    refresh = serializers.CharField()


class AccessTokenSerializer(serializers.Serializer):
    access = serializers.CharField()


class MeSerializer(serializers.Serializer):
    user = UserSerializer()
    account = AccountSerializer(allow_null=True)


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "domain", "is_active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class SiteReplaceSerializer(ReplaceSerializerMixin, SiteSerializer):
    """A PUT of a site names every writable field."""
