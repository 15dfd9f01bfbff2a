from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tenancy.models import Account, Site, User


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "credits", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["credits"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "domain", "account", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "domain", "account__name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "account", "role", "is_staff", "is_active"]
    list_filter = ["role", "is_staff", "is_active"]
    search_fields = ["email"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Tenancy", {"fields": ["account", "role"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2", "account", "role"]})
    ]
