using System.Buffers;

namespace Dom;

/// <summary>The one rule for every id in the engine: short, printable, no separators.</summary>
public static class Ids
{
    /// <summary>The longest id accepted anywhere.</summary>
    public const int MaxLength = 64;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    /// <summary>True when <paramref name="value"/> is 1–64 characters of letters, digits, '.', '_' or '-',
    /// starting with a letter or digit. '@' and '/' are reserved for composite keys and paths.</summary>
    public static bool IsValid(string? value) =>
        !string.IsNullOrEmpty(value)
        && value.Length <= MaxLength
        && char.IsAsciiLetterOrDigit(value[0])
        && !value.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>A hash of <paramref name="id"/> that is the same in every process (FNV-1a; string.GetHashCode is not), to
    /// spread ids over a fixed number of grains.</summary>
    public static uint StableHash(string id)
    {
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
