using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dom.Silo.Hosting;

/// <summary>Enums as camelCase strings, read as exactly one of the enum's names (in any case). System.Text.Json's own
/// converter also reads a comma-separated list ("partner, logisticsProvider") and combines the values, for enums that
/// are no flags: a location stored with a type that does not exist, a calendar day nobody sent.</summary>
internal sealed class StrictEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(StrictEnumConverter<>).MakeGenericType(typeToConvert))!;
}

internal sealed class StrictEnumConverter<T> : JsonConverter<T> where T : struct, Enum
{
    private static readonly FrozenDictionary<T, string> Names =
        Enum.GetValues<T>().Distinct().ToFrozenDictionary(v => v, v => JsonNamingPolicy.CamelCase.ConvertName(v.ToString()));

    private static readonly FrozenDictionary<string, T> Values =
        Names.ToFrozenDictionary(n => n.Value, n => n.Key, StringComparer.OrdinalIgnoreCase);

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? Parse(reader.GetString()!) : throw Refused();

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        if (Names.TryGetValue(value, out var name))
        {
            writer.WriteStringValue(name);
        }
        else
        {
            // A value no name stands for (stored before its name was removed): as a number rather than not at all.
            writer.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WritePropertyName(Names.TryGetValue(value, out var name) ? name : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static T Parse(string text) => Values.TryGetValue(text, out var value) ? value : throw Refused();

    private static EnumValueException Refused() => new($"Must be one of: {string.Join(", ", Names.Values)}.");
}

/// <summary>A request's enum value that is none of its names; its message is safe to show the client.</summary>
internal sealed class EnumValueException(string detail) : JsonException(detail)
{
    /// <summary>The message without the path and position System.Text.Json adds to it.</summary>
    public string Detail { get; } = detail;
}

/// <summary>The OpenAPI document describes enums as our converter reads and writes them: a string, one of the camelCase
/// names. (The schema exporter knows only System.Text.Json's own converters and says "anything" for ours.)</summary>
internal static class EnumSchemas
{
    public static Task DescribeAsync(Microsoft.OpenApi.OpenApiSchema schema, Microsoft.AspNetCore.OpenApi.OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsEnum)
        {
            schema.Type = underlying == type ? Microsoft.OpenApi.JsonSchemaType.String : Microsoft.OpenApi.JsonSchemaType.String | Microsoft.OpenApi.JsonSchemaType.Null;
            schema.Enum = [.. Enum.GetNames(underlying).Select(name => (System.Text.Json.Nodes.JsonNode)JsonNamingPolicy.CamelCase.ConvertName(name))];
        }

        return Task.CompletedTask;
    }
}
