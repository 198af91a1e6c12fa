package reports_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/reports"
)

func sampleRedactor() *reports.Redactor {
	red := reports.NewRedactor("", "abc") // ignored: empty and short
	red.AddBasicPair(clientID, secret)
	return red
}

func assertClean(t *testing.T, name, content string) {
	t.Helper()
	for _, f := range forbidden() {
		if strings.Contains(content, f) {
			t.Errorf("%s contains the secret form %q", name, f)
		}
	}
}

func TestWriteAllRedactsEveryOutput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "nested")
	run := sampleRun()
	run.SuiteErrors = []string{"BeforeSuite failed: token request with " + secretQuery + " rejected"}
	if err := reports.WriteAll(dir, run, sampleRedactor()); err != nil {
		t.Fatal(err)
	}
	marker := map[string]string{ // how each format spells "<redacted>"
		"junit.xml":    "&lt;redacted&gt;",
		"results.json": "<redacted>",
		"report.html":  "&lt;redacted&gt;",
	}
	for name, m := range marker {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		assertClean(t, name, string(b))
		least := 8
		if name == "report.html" {
			least = 6 // its repro scripts send $ROSTERCHECK_TOKEN where the run's curl had a redacted credential
		}
		if n := strings.Count(string(b), m); n < least {
			t.Errorf("%s: only %d redaction markers; the planted secrets were not replaced but lost?", name, n)
		}
		if !strings.Contains(string(b), clientID) {
			t.Errorf("%s: the client id alone is not a secret and should remain", name)
		}
	}
	// The redacted outputs are still valid documents.
	b, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	got, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got.Checks[1].Exchanges[1].RequestHeaders["Authorization"] != "Basic <redacted>" {
		t.Errorf("Authorization = %q", got.Checks[1].Exchanges[1].RequestHeaders["Authorization"])
	}
	if got.Summary != run.Summary || len(got.Checks[1].Violations) != 3 {
		t.Error("redaction changed the results")
	}
	b, _ = os.ReadFile(filepath.Join(dir, "junit.xml"))
	var v struct{}
	if err := xml.Unmarshal(b, &v); err != nil {
		t.Errorf("redacted junit.xml does not parse: %v", err)
	}
	// The caller's run is not modified.
	if !strings.Contains(run.Checks[1].Message, secret) {
		t.Error("WriteAll modified the caller's run")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(reports.Files(run)) {
		t.Errorf("dir holds %d entries, want exactly the %d reports", len(entries), len(reports.Files(run)))
	}
	for _, e := range entries { // summary.md and the badges too
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		assertClean(t, e.Name(), string(b))
	}
}

// The final writer alone must catch every secret form as each format
// escapes it, even when the data was not redacted before formatting, and
// leave a well-formed document.
func TestRedactingWriterCatchesFormattedSecrets(t *testing.T) {
	red := sampleRedactor()
	for _, tc := range []struct {
		name   string
		write  func(io.Writer, *reports.Run) error
		wrap   func(io.Writer) io.WriteCloser
		marker string
		valid  func(t *testing.T, doc []byte)
	}{
		{"junit", reports.WriteJUnit, func(w io.Writer) io.WriteCloser { return reports.MarkupWriter(red, w) }, "&lt;redacted&gt;",
			func(t *testing.T, doc []byte) {
				var v xSuites
				if err := xml.Unmarshal(doc, &v); err != nil {
					t.Errorf("redacted junit does not parse: %v", err)
				}
			}},
		{"json", reports.WriteJSON, red.Writer, "<redacted>",
			func(t *testing.T, doc []byte) {
				if _, err := reports.ReadJSON(bytes.NewReader(doc)); err != nil {
					t.Errorf("redacted json does not parse: %v", err)
				}
			}},
		{"html", reports.WriteHTML, func(w io.Writer) io.WriteCloser { return reports.MarkupWriter(red, w) }, "&lt;redacted&gt;",
			func(t *testing.T, doc []byte) { checkBalanced(t, string(doc)) }},
	} {
		var buf bytes.Buffer
		w := tc.wrap(&buf)
		if err := tc.write(w, sampleRun()); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		assertClean(t, tc.name, buf.String())
		// junit has the message twice, 2 URLs and 2 curl commands.
		if n := strings.Count(buf.String(), tc.marker); n < 6 {
			t.Errorf("%s: %d redaction markers, want at least 6", tc.name, n)
		}
		tc.valid(t, buf.Bytes())
	}
}

func TestRedactorForms(t *testing.T) {
	red := sampleRedactor()
	pairRaw := base64.RawStdEncoding.EncodeToString([]byte(clientID + ":" + secret))
	for _, in := range []string{
		secret, secretQuery, secretPath, "S3cr%2bt%2fV~al%3due%26%3cx%3e%3e", secretB64, secretB64URL,
		base64.RawURLEncoding.EncodeToString([]byte(secret)),
		basicPair, pairRaw,
	} {
		got := red.String("x " + in + " y")
		if got != "x <redacted> y" {
			t.Errorf("String(%q) = %q", in, got)
		}
	}
	if got := red.String("plain text, " + clientID + ", abc"); got != "plain text, "+clientID+", abc" {
		t.Errorf("non-secrets changed: %q", got)
	}
}

func TestRedactorIgnoresShortSecrets(t *testing.T) {
	red := reports.NewRedactor("", "a", "abc")
	red.AddBasicPair("id", "xyz")
	in := "a abc xyz " + base64.StdEncoding.EncodeToString([]byte("id:xyz"))
	if got := red.String(in); got != in {
		t.Errorf("short secrets redacted: %q", got)
	}
	var buf bytes.Buffer
	w := red.Writer(&buf)
	w.Write([]byte(in))
	w.Close()
	if buf.String() != in {
		t.Errorf("writer changed text: %q", buf.String())
	}
	red.Add("abcd")
	if got := red.String("abcd"); got != "<redacted>" {
		t.Errorf("4-byte secret not redacted: %q", got)
	}
}

func TestRedactorOverlappingSecretsMerge(t *testing.T) {
	red := reports.NewRedactor("abcdef", "defghij")
	if got := red.String("1abcdefghij2"); got != "1<redacted>2" {
		t.Errorf("overlap: %q", got)
	}
	if got := red.String("abcdefabcdef"); got != "<redacted><redacted>" {
		t.Errorf("adjacent: %q", got)
	}
}

func TestRedactingWriterSplitAcrossWrites(t *testing.T) {
	red := reports.NewRedactor("hunter2-secret")
	text := "token=hunter2-secret; again hunter2-secret; end"
	want := "token=<redacted>; again <redacted>; end"

	// Split inside the secret.
	var buf bytes.Buffer
	w := red.Writer(&buf)
	i := strings.Index(text, "secret")
	if _, err := w.Write([]byte(text[:i])); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(text[i:])); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Errorf("secret prefix passed through before the rest arrived: %q", buf.String())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}

	// One byte at a time.
	buf.Reset()
	w = red.Writer(&buf)
	for j := range len(text) {
		n, err := w.Write([]byte{text[j]})
		if n != 1 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	w.Close()
	if buf.String() != want {
		t.Errorf("byte-wise: got %q, want %q", buf.String(), want)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func TestRedactingWriterSeesLaterSecrets(t *testing.T) {
	red := reports.NewRedactor()
	var buf bytes.Buffer
	w := red.Writer(&buf) // created before the secret is known, as the runner does
	w.Write([]byte("before "))
	red.Add("late-token-1234")
	w.Write([]byte("late-token-1234 after"))
	w.Close()
	if got := buf.String(); got != "before <redacted> after" {
		t.Errorf("got %q", got)
	}
}

func TestNilRedactor(t *testing.T) {
	var red *reports.Redactor
	if red.String("x") != "x" {
		t.Error("nil String")
	}
	var buf bytes.Buffer
	w := red.Writer(&buf)
	w.Write([]byte("hello"))
	w.Close()
	if buf.String() != "hello" {
		t.Errorf("nil writer: %q", buf.String())
	}
	if err := reports.WriteAll(t.TempDir(), sampleRun(), nil); err != nil {
		t.Errorf("WriteAll with nil redactor: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRedactingWriterReportsErrors(t *testing.T) {
	w := reports.NewRedactor("abcd").Writer(failingWriter{})
	w.Write([]byte("0123456789"))
	if err := w.Close(); err == nil {
		t.Error("Close hid the write error")
	}
}

func TestWriteAllAttemptsEveryFile(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory where junit.xml should go makes that file fail.
	if err := os.MkdirAll(filepath.Join(dir, "junit.xml", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := reports.WriteAll(dir, sampleRun(), reports.NewRedactor(secret))
	if err == nil || !strings.Contains(err.Error(), "junit.xml") {
		t.Fatalf("err = %v, want a junit.xml error", err)
	}
	for _, name := range []string{"results.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written after junit.xml failed: %v", name, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	// A path that cannot be a directory fails cleanly.
	file := filepath.Join(dir, "report.html")
	if err := reports.WriteAll(filepath.Join(file, "sub"), sampleRun(), nil); err == nil {
		t.Error("WriteAll into a path under a file succeeded")
	}
}

func BenchmarkRedactingWriter(b *testing.B) {
	red := sampleRedactor()
	red.Add("another-token-value-0123456789")
	chunk := bytes.Repeat([]byte(`{"sourcedId":"cls-0003","title":"Algebra","status":"active"},`), 1000)
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		w := red.Writer(io.Discard)
		w.Write(chunk)
		w.Close()
	}
}

// fill sets every string reachable from v (fields, slice elements, map keys
// and values) to a value that embeds secret, growing empty slices and maps
// to one element.
func fill(v reflect.Value, secret string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x" + secret + "y")
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), secret)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := range v.Len() {
			fill(v.Index(i), secret)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, secret)
		fill(e, secret)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// strs collects every string reachable from v.
func strs(v reflect.Value, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				strs(v.Field(i), out)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			strs(v.Index(i), out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			strs(k, out)
			strs(v.MapIndex(k), out)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			strs(v.Elem(), out)
		}
	}
}

// RedactRun must reach every string of the model, including fields added
// later, and leave the caller's run untouched.
func TestRedactRunCoversEveryString(t *testing.T) {
	var run reports.Run
	fill(reflect.ValueOf(&run).Elem(), secret)
	got := reports.NewRedactor(secret).RedactRun(&run)

	var after, before []string
	strs(reflect.ValueOf(got), &after)
	strs(reflect.ValueOf(&run), &before)
	if len(after) < 30 || len(after) != len(before) {
		t.Fatalf("walked %d strings after, %d before", len(after), len(before))
	}
	for i, s := range after {
		if s != "x<redacted>y" {
			t.Errorf("string %d not redacted: %q", i, s)
		}
		if before[i] != "x"+secret+"y" {
			t.Errorf("RedactRun modified the input: %q", before[i])
		}
	}
}

// Secrets with characters that only JSON or only XML escape differently.
func TestRedactingWriterJSONAndXMLEscapes(t *testing.T) {
	quoted, tabbed := `pa"ss\word`, "tab\tsecret"
	red := reports.NewRedactor(quoted, tabbed)
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail", Checks: []reports.CheckResult{{
		ID: "a.b.c", Title: "t", Area: "a", Outcome: reports.Fail,
		Message: "m " + quoted + " " + tabbed,
	}}}

	var js bytes.Buffer
	w := red.Writer(&js)
	if err := reports.WriteJSON(w, run); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if strings.Contains(js.String(), `pa\"ss\\word`) || strings.Contains(js.String(), `tab\tsecret`) {
		t.Errorf("JSON-escaped secret passed through:\n%s", js.String())
	}
	back, err := reports.ReadJSON(&js)
	if err != nil || back.Checks[0].Message != "m <redacted> <redacted>" {
		t.Errorf("err %v, message %q", err, back.Checks[0].Message)
	}

	var x bytes.Buffer
	w = reports.MarkupWriter(red, &x)
	if err := reports.WriteJUnit(w, run); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if strings.Contains(x.String(), "tab&#x9;secret") || strings.Contains(x.String(), "pa&#34;ss") {
		t.Errorf("XML-escaped secret passed through:\n%s", x.String())
	}
	var doc xSuites
	if err := xml.Unmarshal(x.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if body := doc.Suites[0].Cases[0].Failure.Body; !strings.Contains(body, "\nm <redacted> <redacted>\n") {
		t.Errorf("failure body = %q", body)
	}
}
