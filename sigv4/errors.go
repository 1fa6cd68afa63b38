package sigv4

// AWS error names returned in Error.Code. AWS answers all of them with HTTP 403.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeInvalidSignature           = "InvalidSignatureException"
)

// Error is what Verify returns on failure. Code is the AWS error name and
// Message a safe human-readable text: it never contains the secret, the
// expected signature or the string to sign.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

const mismatchMessage = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method."

// Each failure gets a fresh *Error so a caller editing one cannot affect others.
func errMissingToken() *Error {
	return &Error{CodeMissingAuthenticationToken, "Missing Authentication Token"}
}

func errUnknownKey() *Error {
	return &Error{CodeUnrecognizedClient, "The security token included in the request is invalid."}
}

func errMismatch() *Error { return invalid(mismatchMessage) }

func errUnsignedBody() *Error {
	return invalid("Unsigned and streaming payloads are not accepted; x-amz-content-sha256 must be the hex SHA-256 of the body.")
}

func errBodyHash() *Error {
	return invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
}

func errBothAuthForms() *Error {
	return incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.")
}

func incomplete(msg string) *Error { return &Error{CodeIncompleteSignature, msg} }

func invalid(msg string) *Error { return &Error{CodeInvalidSignature, msg} }

// echo makes client-supplied text safe to quote back in a message: printable
// ASCII only, bounded length.
func echo(s string) string {
	const limit = 64
	b := make([]byte, 0, min(len(s), limit))
	for i := 0; i < len(s) && len(b) < limit; i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '\'' {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}
