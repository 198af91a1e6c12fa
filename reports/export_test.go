package reports

// MarkupWriter exposes markupWriter to the external tests.
var MarkupWriter = (*Redactor).markupWriter
