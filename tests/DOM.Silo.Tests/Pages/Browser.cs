using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Dom.Silo.Tests.Pages;

/// <summary>
/// A real headless Chromium (Debian's <c>chromium</c>, driven through its <c>chromedriver</c>) on the pages of one
/// silo. Without them the tests fail rather than skip: tests/run.sh installs both. Waits are for something the page
/// shows (an element, a text), never for a time.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumVariable = "DOM_TEST_CHROMIUM";
    public const string DriverVariable = "DOM_TEST_CHROMEDRIVER";

    private readonly ChromeDriver _driver;
    private readonly Uri _site;
    private readonly string _profile = Path.Combine(Path.GetTempPath(), $"dom-chromium-{Guid.NewGuid():N}");

    public Browser(Uri site)
    {
        _site = site;
        var chromium = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } c ? c : "/usr/bin/chromium";
        var driver = Environment.GetEnvironmentVariable(DriverVariable) is { Length: > 0 } d ? d : "/usr/bin/chromedriver";
        if (!File.Exists(chromium) || !File.Exists(driver))
        {
            throw new InvalidOperationException(
                $"The page tests need Debian's chromium and chromium-driver ({chromium}, {driver}; {ChromiumVariable} and {DriverVariable} move them). Run the suite with tests/run.sh, which installs them.");
        }

        var options = new ChromeOptions { BinaryLocation = chromium };
        // As this machine runs it: no sandbox as root, no GPU, and none of the background connections a closed network refuses.
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
            $"--user-data-dir={_profile}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        _driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public IWebDriver Driver => _driver;

    /// <summary>Opens <paramref name="path"/> on the silo with a fresh tab session (no key signed in). The pages' own
    /// refresh is off (<c>?refresh=0</c>) unless the path sets it: a test's clicks are not raced by a redraw.</summary>
    public void Open(string path)
    {
        path = path.Contains("refresh=", StringComparison.Ordinal) ? path : path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "refresh=0";
        _driver.Navigate().GoToUrl(new Uri(_site, "/"));
        ((IJavaScriptExecutor)_driver).ExecuteScript("sessionStorage.clear();");
        _ = Console();
        _driver.Navigate().GoToUrl(new Uri(_site, path));
    }

    /// <summary>Opens <paramref name="path"/> and signs in with <paramref name="key"/>.</summary>
    public void OpenAs(string path, string key)
    {
        Open(path);
        SignIn(key);
    }

    public void SignIn(string key)
    {
        var form = Find("#sign-in");
        form.FindElement(By.Name("key")).SendKeys(key);
        form.FindElement(By.CssSelector("button[type=submit]")).Click();
    }

    /// <summary>The element <paramref name="css"/> once it is shown.</summary>
    public IWebElement Find(string css) => Until(d => d.FindElements(By.CssSelector(css)).FirstOrDefault(e => e.Displayed));

    /// <summary>Waits until no element matches <paramref name="css"/>.</summary>
    public void Gone(string css) => Until(d => d.FindElements(By.CssSelector(css)).Count == 0 ? "gone" : null);

    /// <summary>The text of <paramref name="css"/> once it contains <paramref name="expected"/>.</summary>
    public string TextOf(string css, string expected) =>
        Until(d => d.FindElements(By.CssSelector(css)).Select(e => e.Text).FirstOrDefault(t => t.Contains(expected, StringComparison.Ordinal)));

    /// <summary>The page's message (a problem or a confirmation) once one is shown.</summary>
    public string Message() => Find("#message > div").Text;

    public T Until<T>(Func<IWebDriver, T?> condition)
    {
        var wait = new WebDriverWait(_driver, TimeSpan.FromSeconds(30));
        // The pages render a list anew after each action: an element read while it is replaced is read again.
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(d => condition(d))!;
        }
        catch (WebDriverTimeoutException timeout)
        {
            throw new Xunit.Sdk.XunitException($"{timeout.Message}\nThe page said: {MessageNow()}\nIts console: {string.Join(" | ", Console())}");
        }
    }

    /// <summary>The errors in the console since the page was opened: a script that failed, a resource refused or
    /// blocked by the content security policy, a request the API refused.</summary>
    public IReadOnlyList<string> Errors() => Console().Where(line => line.StartsWith("Severe", StringComparison.Ordinal)).ToList();

    /// <summary>What the page wrote to its console since the last read: script errors, blocked resources, refused requests.</summary>
    public IReadOnlyList<string> Console() => _driver.Manage().Logs.GetLog(LogType.Browser).Select(e => $"{e.Level}: {e.Message}").ToList();

    private string MessageNow() => _driver.FindElements(By.CssSelector("#message")).FirstOrDefault()?.Text ?? "";

    public void Dispose()
    {
        _driver.Quit();
        _driver.Dispose();
        // The browser's profile of this run: Chromium has exited once Quit returns.
        if (Directory.Exists(_profile))
        {
            Directory.Delete(_profile, recursive: true);
        }
    }
}
