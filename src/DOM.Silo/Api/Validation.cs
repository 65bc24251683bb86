using Dom.Domain.Geo;

namespace Dom.Silo.Api;

/// <summary>Collects field errors at the edge; a request with any error changes nothing and gets a 400 listing them.</summary>
internal sealed class Validation
{
    public const int MaxQuantity = 10_000;
    public const int MaxStock = 10_000_000;
    public const int MaxCapacity = 100_000;
    public const int MaxLines = 100;
    public const int MaxTtlSeconds = 86_400;
    public const int DefaultTtlSeconds = 900;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validation Id(string field, string? value, bool required = true)
    {
        if (value is null)
        {
            return required ? Add(field, "Required.") : this;
        }

        return Ids.IsValid(value) ? this : Add(field, $"Must be 1–{Ids.MaxLength} letters, digits, '.', '_' or '-', starting with a letter or digit.");
    }

    /// <summary>Parses one of <typeparamref name="TEnum"/>'s names, case-insensitively. Enum.TryParse alone also takes
    /// numbers and comma-separated lists, which it ORs into a value that may not be, or may be another, member.</summary>
    public static bool TryParseName<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        value = default;
        return text is { Length: > 0 } && char.IsAsciiLetter(text[0]) && !text.Contains(',')
            && Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value);
    }

    /// <summary>The one of <typeparamref name="TEnum"/>'s names <paramref name="text"/> gives (see
    /// <see cref="TryParseName"/>), or null: when it gives none, or another word (then <paramref name="field"/> gets an
    /// error naming the names, as the API writes them).</summary>
    public TEnum? OneOf<TEnum>(string field, string? text)
        where TEnum : struct, Enum
    {
        if (text is null)
        {
            return null;
        }

        if (TryParseName<TEnum>(text, out var value))
        {
            return value;
        }

        Add(field, $"Must be one of: {string.Join(", ", Enum.GetNames<TEnum>().Select(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName))}.");
        return null;
    }

    /// <summary>An optional body copy of a route id must match the route.</summary>
    public Validation SameAsRoute(string field, string? value, string route) =>
        value is null || value == route ? this : Add(field, "Must match the id in the path when given.");

    public Validation Int(string field, int? value, int min, int max, bool required = true)
    {
        if (value is null)
        {
            return required ? Add(field, "Required.") : this;
        }

        return value >= min && value <= max ? this : Add(field, $"Must be a whole number from {min} to {max}.");
    }

    /// <summary>An optional finite number within a range.</summary>
    public Validation Double(string field, double? value, double min, double max) =>
        value is null || (double.IsFinite(value.Value) && value >= min && value <= max) ? this : Add(field, $"Must be a number from {min} to {max}.");

    /// <summary>True for an ISO 4217 code's shape: three capital letters.</summary>
    public static bool IsCurrency(string? code) => code is { Length: 3 } && code.All(char.IsAsciiLetterUpper);

    /// <summary>True for a language tag's shape (BCP 47, as far as messages need it): a 2–3 letter language, then
    /// subtags of 2–8 letters or digits (<c>de</c>, <c>de-AT</c>, <c>zh-Hant</c>).</summary>
    public static bool IsLanguage(string? tag) =>
        tag is { Length: >= 2 and <= 35 } && tag.Split('-') is var parts && parts[0].Length is 2 or 3 && parts[0].All(char.IsAsciiLetter)
        && parts.Skip(1).All(p => p.Length is >= 2 and <= 8 && p.All(char.IsAsciiLetterOrDigit));

    /// <summary>An amount of money: not negative, at most <paramref name="max"/>, at most 4 decimal places.</summary>
    public Validation Money(string field, decimal? value, decimal max, bool required = false, int decimals = 4)
    {
        if (value is null)
        {
            return required ? Add(field, "Required.") : this;
        }

        return value >= 0 && value <= max && decimal.Round(value.Value, decimals) == value ? this : Add(field, $"Must be an amount from 0 to {max} with at most {decimals} decimals.");
    }

    public Validation Text(string field, string? value, int maxLength, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required || value is { Length: > 0 } ? Add(field, "Required, and not blank.") : this;
        }

        return value.Length <= maxLength && !value.Any(char.IsControl) ? this : Add(field, $"At most {maxLength} characters, none of them control characters.");
    }

    /// <summary>An e-mail address as orders take it: at most 200 characters, with an '@'.</summary>
    public Validation Email(string field, string? value, bool required = true)
    {
        Text(field, value, 200, required);
        return value is null || value.Contains('@', StringComparison.Ordinal) ? this : Add(field, "Must be an e-mail address.");
    }

    public Validation Required<T>(string field, T? value)
        where T : struct => value.HasValue ? this : Add(field, "Required.");

    public Validation Required(string field, object? value) => value is not null ? this : Add(field, "Required.");

    public Validation Position(string prefix, double? latitude, double? longitude)
    {
        if (latitude is null)
        {
            Add($"{prefix}latitude", "Required.");
        }
        else if (!GeoPoint.IsValid(latitude.Value, 0))
        {
            Add($"{prefix}latitude", "Must be from -90 to 90.");
        }

        if (longitude is null)
        {
            Add($"{prefix}longitude", "Required.");
        }
        else if (!GeoPoint.IsValid(0, longitude.Value))
        {
            Add($"{prefix}longitude", "Must be from -180 to 180.");
        }

        return this;
    }

    public Validation Country(string field, string? value, bool required = true)
    {
        if (value is null)
        {
            return required ? Add(field, "Required.") : this;
        }

        return value.Length == 2 && value.All(char.IsAsciiLetterUpper) ? this : Add(field, "Must be an ISO 3166-1 alpha-2 code in upper case, such as DE.");
    }

    public Validation Add(string field, string error)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(error);
        return this;
    }

    public ValidationProblem Problem() =>
        TypedResults.ValidationProblem(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()), title: "The request is not valid.");
}

/// <summary>Answers shared by every resource.</summary>
internal static class Answers
{
    public static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.", detail: "This API key may not change this location.");

    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: $"{what} does not exist.");
}
