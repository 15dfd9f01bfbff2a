from django.contrib import admin

from writer.models import Content, Image, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "site", "cluster", "content_structure", "word_count", "status"]
    list_filter = ["status", "content_type", "content_structure"]
    search_fields = ["title"]
    raw_id_fields = ["account", "site", "cluster", "idea"]


class ImageInline(admin.TabularInline):
    model = Image
    extra = 0
    fields = ["position", "image_type", "status", "image_url", "error"]
    readonly_fields = fields


@admin.register(Content)
class ContentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "site", "word_count", "primary_keyword", "status", "created_at"]
    list_filter = ["status", "content_type", "content_structure"]
    search_fields = ["title", "primary_keyword"]
    raw_id_fields = ["account", "site", "task", "cluster"]
    inlines = [ImageInline]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["id", "content", "image_type", "position", "status", "image_url"]
    list_filter = ["status", "image_type"]
    search_fields = ["prompt"]
    raw_id_fields = ["account", "site", "content"]
