from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from igny8.api import success
from igny8.errors import ApplicationError
from igny8.schema import errors
from tenancy import services
from tenancy.models import Role, Site
from tenancy.selectors import sites_for_user
from tenancy.serializers import (
    AccessTokenSerializer,
    AccountSerializer,
    LoginSerializer,
    MeSerializer,
    RefreshSerializer,
    RegisterSerializer,
    SiteReplaceSerializer,
    SiteSerializer,
    TokenPairSerializer,
    UserSerializer,
)


class InvalidCredentials(ApplicationError):
    status_code = 401
    code = "invalid_credentials"
    default_message = "Email or password is incorrect."


def _tokens(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=RegisterSerializer,
        responses={201: TokenPairSerializer},
        examples=[
            OpenApiExample(
                "Register",
                request_only=True,
                value={"email": "ana@example.com", "password": "a-long-passphrase", "account_name": "Ana's"},
            )
        ],
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, account = services.account_register(**serializer.validated_data)
        data = {
            "user": UserSerializer(user).data,
            "account": AccountSerializer(account).data,
            **_tokens(user),
        }
        return success(data, status_code=status.HTTP_201_CREATED)


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=LoginSerializer,
        responses={200: TokenPairSerializer},
        extensions=errors(InvalidCredentials),
        examples=[
            OpenApiExample(
                "Log in",
                request_only=True,
                value={"email": "ana@example.com", "password": "a-long-passphrase"},
            ),
            OpenApiExample(
                "Tokens",
                response_only=True,
                value={
                    "user": {
                        "id": 7,
                        "email": "ana@example.com",
                        "account": 3,
                        "role": "owner",
                        "is_staff": False,
                    },
                    "access": "eyJhbGciOiJIUzI1NiJ9.access",
                    "refresh": "eyJhbGciOiJIUzI1NiJ9.refresh",
                },
            ),
        ],
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            email=serializer.validated_data["email"].lower(),
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise InvalidCredentials()
        return success({"user": UserSerializer(user).data, **_tokens(user)})


class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=RefreshSerializer,
        responses={200: AccessTokenSerializer},
        extensions=errors((InvalidCredentials.status_code, "token_not_valid")),
    )
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(serializer.validated_data["refresh"])
        except TokenError:
            raise InvalidCredentials(
                "The refresh token is invalid or expired.", code="token_not_valid"
            ) from None
        return success({"access": str(refresh.access_token)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        account = AccountSerializer(user.account).data if user.account_id else None
        return success({"user": UserSerializer(user).data, "account": account})


@extend_schema_view(update=extend_schema(responses={200: SiteSerializer}))
class SiteViewSet(viewsets.ModelViewSet):
    queryset = Site.objects.none()
    serializer_class = SiteSerializer
    write_role = Role.ADMIN
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Site.objects.none()
        return sites_for_user(user=self.request.user).order_by("id")

    def get_serializer_class(self):
        return SiteReplaceSerializer if self.action == "update" else SiteSerializer

    def perform_create(self, serializer):
        account = self.request.user.account
        if account is None:
            raise ApplicationError("Staff users without an account cannot create sites here.")
        serializer.instance = services.site_create(account=account, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.site_update(site=serializer.instance, **serializer.validated_data)
