//! lme4's model formulas: `response ~ fixed terms + (random terms | grouping factor)`.
//!
//! ```text
//! Reaction ~ Days + (Days | Subject)        correlated random intercept and slope
//! y ~ service + (1|s) + (1|d) + (1|dept)    crossed random intercepts
//! y ~ x + (1 | school/class)                nested: (1|school) + (1|school:class)
//! y ~ x + (x || g)                          uncorrelated: (1|g) + (0 + x|g)
//! y ~ a*b + factor(k) - 1                   a + b + a:b, k as a factor, no intercept
//! ```
//!
//! A term is a variable or an interaction of variables (`a:b`); `a*b` expands to `a + b + a:b`;
//! `0` or `-1` drops the intercept and `1` keeps it (the default, on both sides of `|`). A parse
//! error names the position (0-based character offset) and what was expected there.

use crate::error::{Error, Result};

/// A variable in a term: a column, used as a factor when wrapped in `factor(…)` (or when the
/// column is not numeric).
///
/// ```
/// use probrs::mixed_effects::Formula;
/// let f = Formula::parse("y ~ factor(k)")?;
/// assert!(f.fixed.terms[0][0].as_factor && f.fixed.terms[0][0].name == "k");
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// The column name.
    pub name: String,
    /// `factor(name)`.
    pub as_factor: bool,
}

/// Terms on one side: an intercept or not, then interactions of variables.
///
/// ```
/// use probrs::mixed_effects::Formula;
/// let t = Formula::parse("y ~ 0 + a:b")?.fixed;
/// assert!(!t.intercept && t.terms[0].len() == 2);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Whether the intercept is in.
    pub intercept: bool,
    /// Each term, an interaction of one or more variables.
    pub terms: Vec<Vec<Variable>>,
}

/// A random-effects term `(effects | group)`: a covariance block per level of the grouping
/// factor (an interaction of columns for nested terms).
///
/// ```
/// use probrs::mixed_effects::Formula;
/// let r = Formula::parse("y ~ (1 | school:class)")?.random;
/// assert_eq!(r[0].group, ["school", "class"]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RandomTerm {
    /// The effects varying by group.
    pub effects: Terms,
    /// The grouping factor's columns (more than one: their interaction, `g1:g2`).
    pub group: Vec<String>,
}

/// A parsed formula.
///
/// ```
/// use probrs::mixed_effects::Formula;
/// let f = Formula::parse("Reaction ~ Days + (Days | Subject)")?;
/// assert_eq!(f.response, "Reaction");
/// assert!(f.fixed.intercept && f.fixed.terms.len() == 1);
/// assert_eq!(f.random[0].group, vec!["Subject".to_string()]);
/// assert!(f.random[0].effects.intercept);
/// // Nested and uncorrelated terms expand as lme4 expands them.
/// assert_eq!(Formula::parse("y ~ 1 + (1 | a/b)")?.random.len(), 2);
/// assert_eq!(Formula::parse("y ~ (x || g)")?.random.len(), 2);
/// // Errors name the position.
/// let e = Formula::parse("y ~ x + (1 | )").unwrap_err().to_string();
/// assert!(e.contains("position 13"), "{e}");
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Formula {
    /// The response column (for `cbind(successes, failures)`, the successes).
    pub response: String,
    /// `cbind(successes, failures)`'s failures column (a binomial response with trials
    /// `successes + failures` per row, as in `glmer`).
    pub failures: Option<String>,
    /// Fixed effects.
    pub fixed: Terms,
    /// Random-effects terms, as written (after expanding `/` and `||`).
    pub random: Vec<RandomTerm>,
    /// The formula's text.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Num(String),
    Sym(&'static str),
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    k: usize,
    text: &'a str,
}

fn err(text: &str, pos: usize, what: &str) -> Error {
    Error::BadInput { location: format!("formula \"{text}\" at position {pos}"), reason: what.to_string() }
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphabetic() || c == '_' || c == '.' && chars.get(i + 1).is_some_and(|n| !n.is_ascii_digit()) {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            out.push((Tok::Name(chars[start..i].iter().collect()), start));
        } else if c == '`' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '`' {
                i += 1;
            }
            if i == chars.len() {
                return Err(err(text, start, "an unterminated `quoted name`"));
            }
            out.push((Tok::Name(chars[start + 1..i].iter().collect()), start));
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push((Tok::Num(chars[start..i].iter().collect()), start));
        } else if c == '|' && chars.get(i + 1) == Some(&'|') {
            out.push((Tok::Sym("||"), i));
            i += 2;
        } else {
            let sym = match c {
                '~' => "~",
                '+' => "+",
                '-' => "-",
                '(' => "(",
                ')' => ")",
                '|' => "|",
                ':' => ":",
                '*' => "*",
                '/' => "/",
                ',' => ",",
                _ => return Err(err(text, i, &format!("unexpected character '{c}'"))),
            };
            out.push((Tok::Sym(sym), i));
            i += 1;
        }
    }
    Ok(out)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.k).map(|t| &t.0)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.k).map_or(self.text.chars().count(), |t| t.1)
    }
    fn eat(&mut self, s: &str) -> bool {
        if self.peek() == Some(&Tok::Sym(match s {
            "~" => "~",
            "+" => "+",
            "-" => "-",
            "(" => "(",
            ")" => ")",
            "|" => "|",
            "||" => "||",
            ":" => ":",
            "*" => "*",
            "/" => "/",
            "," => ",",
            _ => return false,
        })) {
            self.k += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, s: &str) -> Result<()> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(err(self.text, self.pos(), &format!("expected '{s}'")))
        }
    }
    fn name(&mut self) -> Result<String> {
        match self.peek().cloned() {
            Some(Tok::Name(n)) => {
                self.k += 1;
                Ok(n)
            }
            _ => Err(err(self.text, self.pos(), "expected a column name")),
        }
    }

    /// A variable: `name` or `factor(name)`.
    fn variable(&mut self) -> Result<Variable> {
        let name = self.name()?;
        if (name == "factor" || name == "as.factor") && self.peek() == Some(&Tok::Sym("(")) {
            self.k += 1;
            let inner = self.name()?;
            self.expect(")")?;
            return Ok(Variable { name: inner, as_factor: true });
        }
        Ok(Variable { name, as_factor: false })
    }

    /// Terms until `)`, `|`, `||` or the end; `allow_random` on the right of `~`.
    fn terms(&mut self, allow_random: bool, random: &mut Vec<RandomTerm>) -> Result<Terms> {
        let mut t = Terms { intercept: true, terms: vec![] };
        let mut sign = 1;
        let mut first = true;
        loop {
            if !first {
                if self.eat("+") {
                    sign = 1;
                } else if self.eat("-") {
                    sign = -1;
                } else {
                    break;
                }
            } else if self.eat("-") {
                sign = -1;
            }
            first = false;
            match self.peek().cloned() {
                Some(Tok::Num(n)) if n == "0" || n == "1" => {
                    self.k += 1;
                    t.intercept = (n == "1") == (sign == 1);
                }
                Some(Tok::Num(n)) => return Err(err(self.text, self.pos(), &format!("a number other than 0 or 1 ({n})"))),
                Some(Tok::Sym("(")) if allow_random && sign == 1 => {
                    self.k += 1;
                    let start = self.pos();
                    let effects = self.terms(false, random)?;
                    let uncorrelated = if self.eat("||") {
                        true
                    } else if self.eat("|") {
                        false
                    } else {
                        return Err(err(self.text, self.pos(), "expected '|' in a random-effects term"));
                    };
                    let mut groups = vec![vec![self.name()?]];
                    loop {
                        if self.eat(":") {
                            let n = self.name()?;
                            groups.last_mut().expect("one group").push(n);
                        } else if self.eat("/") {
                            // g1/g2: (…|g1) + (…|g1:g2)
                            let mut inner = groups.last().expect("one group").clone();
                            inner.push(self.name()?);
                            groups.push(inner);
                        } else {
                            break;
                        }
                    }
                    self.expect(")")?;
                    if effects.terms.is_empty() && !effects.intercept {
                        return Err(err(self.text, start, "a random-effects term with no effects"));
                    }
                    for group in groups {
                        if uncorrelated {
                            if effects.intercept {
                                random.push(RandomTerm { effects: Terms { intercept: true, terms: vec![] }, group: group.clone() });
                            }
                            for term in &effects.terms {
                                random.push(RandomTerm { effects: Terms { intercept: false, terms: vec![term.clone()] }, group: group.clone() });
                            }
                        } else {
                            random.push(RandomTerm { effects: effects.clone(), group });
                        }
                    }
                }
                Some(Tok::Name(_)) => {
                    let mut factors = vec![vec![self.variable()?]];
                    loop {
                        if self.eat(":") {
                            let v = self.variable()?;
                            factors.iter_mut().for_each(|f| f.push(v.clone()));
                        } else if self.eat("*") {
                            // a*b = a + b + a:b
                            let v = self.variable()?;
                            let mut expanded = factors.clone();
                            expanded.push(vec![v.clone()]);
                            for f in &factors {
                                let mut both = f.clone();
                                both.push(v.clone());
                                expanded.push(both);
                            }
                            factors = expanded;
                        } else {
                            break;
                        }
                    }
                    for f in factors {
                        if sign == 1 {
                            if !t.terms.contains(&f) {
                                t.terms.push(f);
                            }
                        } else {
                            t.terms.retain(|x| x != &f);
                        }
                    }
                }
                _ => return Err(err(self.text, self.pos(), "expected a term (a column name, 0, 1 or a random-effects term)")),
            }
        }
        Ok(t)
    }
}

impl Formula {
    /// Parses `response ~ terms`.
    ///
    /// ```
    /// use probrs::mixed_effects::Formula;
    /// let f = Formula::parse("y ~ a*b - 1")?;
    /// assert!(!f.fixed.intercept);
    /// assert_eq!(f.fixed.terms.len(), 3); // a, b, a:b
    /// assert!(Formula::parse("~ x").is_err()); // no response
    /// // A binomial response as successes and failures.
    /// let b = Formula::parse("cbind(k, n_minus_k) ~ x + (1 | g)")?;
    /// assert_eq!((b.response.as_str(), b.failures.as_deref()), ("k", Some("n_minus_k")));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let toks = tokenize(text)?;
        let mut p = Parser { toks, k: 0, text };
        let mut response = p.name()?;
        let mut failures = None;
        if response == "cbind" && p.eat("(") {
            response = p.name()?;
            p.expect(",")?;
            failures = Some(p.name()?);
            p.expect(")")?;
        }
        p.expect("~")?;
        let mut random = vec![];
        let fixed = p.terms(true, &mut random)?;
        if p.k < p.toks.len() {
            return Err(err(text, p.pos(), "unexpected text after the formula"));
        }
        Ok(Formula { response, failures, fixed, random, text: text.trim().to_string() })
    }
}
